"""Keeping the cells current: the incremental refresh from the outbox and the full rebuild in SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction

from holdtrack.audit.models import CaseType
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    Subpoena,
)
from holdtrack.core.timeutil import now as _now
from holdtrack.reports.aggregates.cells import FAMILIES, KEY_COLUMNS, store_detainer_facts, store_subpoena_facts
from holdtrack.reports.aggregates.facts import detainer_facts, subpoena_facts
from holdtrack.reports.aggregates.metrics import sql_of
from holdtrack.reports.models.stats import (
    AggregateState,
    DetainerFact,
    PendingChange,
    SubpoenaFact,
)

# ---------------------------------------------------------------------------------------- refresh, rebuild

BATCH = 2000
Progress = Callable[[int, int], None]


@dataclass
class RefreshResult:
    rebuilt: bool = False
    changes: int = 0
    detainers: int = 0
    subpoenas: int = 0


def refresh(*, max_batches: int | None = None, progress: Progress | None = None) -> RefreshResult:
    """Bring the aggregates up to date: a full rebuild the first time, then only the cases that changed.
    ``progress(done, total)`` is told of each batch of a first rebuild (in cases, the cells counting as one)."""
    result = RefreshResult()
    state = AggregateState.objects.filter(pk=1).first()
    if state is None or state.rebuilt_at is None:
        rebuild(progress=progress)
        return RefreshResult(rebuilt=True)
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            # One refresher at a time: two applying the same change would count it twice.
            AggregateState.objects.select_for_update().filter(pk=1).first()
            pending = list(PendingChange.objects.order_by("id").values_list("id", "case_type", "case_id")[:BATCH])
            if not pending:
                break
            detainer_ids = {cid for _, t, cid in pending if t == CaseType.DETAINER}
            referral_ids = {cid for _, t, cid in pending if t == CaseType.REFERRAL}
            court_ids = {cid for _, t, cid in pending if t == CaseType.COURT_CASE}
            subpoena_ids = {cid for _, t, cid in pending if t == CaseType.SUBPOENA}
            if referral_ids:
                subpoena_ids |= set(Subpoena.objects.filter(referral__id__in=referral_ids).values_list("id", flat=True))
            if court_ids:
                subpoena_ids |= set(
                    CourtCase.objects.filter(pk__in=court_ids).values_list("referral__subpoena_id", flat=True)
                )
            result.detainers += store_detainer_facts(detainer_ids)
            store_subpoena_facts(subpoena_ids)
            result.subpoenas += len(subpoena_ids)
            result.changes += len(pending)
            # Delete exactly the rows read: a step committed meanwhile keeps its row for the next run.
            PendingChange.objects.filter(pk__in=[p[0] for p in pending]).delete()
    AggregateState.objects.filter(pk=1).update(
        refreshed_at=_now(), detainers=DetainerFact.objects.count() if result.detainers else models.F("detainers")
    )
    return result


def rebuild(*, progress: Progress | None = None) -> None:
    """Recompute every fact from the case tables, then every cell from the facts (in SQL)."""
    tell = progress or (lambda done, total: None)
    with transaction.atomic():
        AggregateState.objects.select_for_update().filter(pk=1).first()
        PendingChange.objects.all().delete()
        DetainerFact.objects.all().delete()
        SubpoenaFact.objects.all().delete()
        ids = list(Detainer.objects.order_by("pk").values_list("pk", flat=True))
        sids = list(Subpoena.objects.order_by("pk").values_list("pk", flat=True))
        total = len(ids) + len(sids) + 1
        for start in range(0, len(ids), BATCH):
            DetainerFact.objects.bulk_create(list(detainer_facts(ids[start : start + BATCH]).values()))
            tell(min(start + BATCH, len(ids)), total)
        for start in range(0, len(sids), BATCH):
            SubpoenaFact.objects.bulk_create(list(subpoena_facts(sids[start : start + BATCH]).values()))
            tell(len(ids) + min(start + BATCH, len(sids)), total)
        rebuild_cells()
        tell(total, total)
        at = _now()
        AggregateState.objects.update_or_create(
            pk=1, defaults={"rebuilt_at": at, "refreshed_at": at, "detainers": len(ids)}
        )


def rebuild_cells() -> None:
    """Every cell table, at all three levels, from ``DetainerFact`` in SQL (also the benchmark's build step)."""
    fact = DetainerFact._meta.db_table
    with connection.cursor() as cur:
        for family in FAMILIES:
            metrics = family.metrics
            branches = []
            for b in family.branches:
                exprs = ", ".join(f"{sql_of(b.exprs[m])} AS {m}" if m in b.exprs else f"0 AS {m}" for m in metrics)
                where = f"{b.month_column} IS NOT NULL" + (f" AND {family.where}" if family.where else "")
                branches.append(
                    f"SELECT '{b.basis}' AS basis, {b.month_column} AS month, state_abbr, aor, county_fips, "  # noqa: S608
                    f"ori, facility_code, {exprs} FROM {fact} WHERE {where}"
                )
            sums = ", ".join(f"SUM({m})" for m in metrics)
            metric_cols = ", ".join(metrics)
            (fac, _), (county, _), (state, _) = family.levels
            for model, _ in family.levels:
                cur.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608
            keys7 = ", ".join(KEY_COLUMNS)
            cur.execute(
                f"INSERT INTO {fac._meta.db_table} ({keys7}, {metric_cols}) "  # noqa: S608
                f"SELECT {keys7}, {sums} FROM ({' UNION ALL '.join(branches)}) u GROUP BY {keys7}"
            )
            keys5 = ", ".join(KEY_COLUMNS[:5])
            cur.execute(
                f"INSERT INTO {county._meta.db_table} ({keys5}, {metric_cols}) "  # noqa: S608
                f"SELECT {keys5}, {sums} FROM {fac._meta.db_table} GROUP BY {keys5}"
            )
            keys4 = ", ".join(KEY_COLUMNS[:4])
            cur.execute(
                f"INSERT INTO {state._meta.db_table} ({keys4}, {metric_cols}) "  # noqa: S608
                f"SELECT {keys4}, {sums} FROM {county._meta.db_table} GROUP BY {keys4}"
            )
            if connection.vendor == "postgresql":
                for model, _ in family.levels:
                    cur.execute(f"ANALYZE {model._meta.db_table}")


def refreshed_at() -> datetime | None:
    state = AggregateState.objects.filter(pk=1).first()
    return state.refreshed_at if state else None
