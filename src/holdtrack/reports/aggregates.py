"""Report aggregates (ADR 0007): facts per case, monthly cells at three levels kept up to date incrementally,
and the dashboard query over them.

Write path. Every lifecycle step of a detainer, subpoena, referral or court case leaves a ``PendingChange`` row
in its own transaction (signal in ``models/stats.py``). :func:`refresh` reads those rows, recomputes the facts of
the cases they name from the case tables and the transition log, and applies the difference between the old and
the new facts to the cells: ``CellFacility`` (month × ORI × facility code), ``CellCounty`` (month × county FIPS)
and ``CellState`` (month × state × AOR). :func:`rebuild` recomputes everything, the cells in SQL; a test holds the
two paths to the same numbers.

Read path. :func:`dashboard` answers one filter (months, basis, state, AOR, county, ORI, facility code, grouping)
from the smallest cell table that can answer it, plus the median from the facts.

Places are keyed by stable identifiers — state abbreviation, AOR, county FIPS, ORI, facility code — never by an
agency's or facility's name (domain.md A4.1). Months are UTC calendar months. Issue date (``basis=I``) and event
date (``basis=E``) are kept apart (domain.md C6).
"""

from __future__ import annotations

import bisect
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Q, Sum

from holdtrack.audit.models import CaseType, Transition
from holdtrack.cases.models import (
    LIFT_REASON_GROUP,
    TERMINAL_STATES,
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    FormType,
    OutcomeGroup,
    RequestType,
    Subpoena,
    SubpoenaState,
)
from holdtrack.core.timeutil import now as _now
from holdtrack.jurisdictions.models import AreaOfResponsibility, Jurisdiction, LawEnforcementAgency, Level
from holdtrack.reports.coverage import FULL_MONTH, add_months, coverage
from holdtrack.reports.coverage import data_months as data_months  # re-exported: pages and commands use it
from holdtrack.reports.models.stats import (
    AggregateState,
    Basis,
    CellBase,
    CellCounty,
    CellFacility,
    CellState,
    DetainerFact,
    HistCounty,
    HistFacility,
    HistState,
    PendingChange,
    SubpoenaFact,
)

S = DetainerState

# --------------------------------------------------------------------------------------------- metrics

FORM_COLUMNS = {f"form_{v.lower()}": v for v in FormType.values}
REQUEST_COLUMNS = {f"req_{v.lower()}": v for v in RequestType.values}
OUTCOME_COLUMNS = {f"out_{v.lower()}": v for v in OutcomeGroup.values}
FLAG_COLUMNS = {f"v{i}": i - 1 for i in range(1, 9)}  # column → bit
FLAG_LABELS = {
    "v1": "V1 Unauthorized hold (local law forbids it)",
    "v2": "V2 Custody beyond the hold ceiling",
    "v3": "V3 Hold while a citizenship claim was open",
    "v4": "V4 Bail interference",
    "v5": "V5 Hold on a detainer not served on the subject",
    "v6": "V6 Hold without an I-200 or I-205",
    "v7": "V7 Hold without neutral probable-cause review",
    "v8": "V8 Release later than the local limit after bond",
}

# A metric expression over one fact: ("one",), ("eq", column, value), ("set", column), ("bit", n), ("anybit",).
Expr = tuple[Any, ...]
PREPARE_EXPRS: dict[str, Expr] = {
    "prepared": ("one",),
    **{c: ("eq", "form_type", v) for c, v in FORM_COLUMNS.items()},
    **{c: ("eq", "request_type", v) for c, v in REQUEST_COLUMNS.items()},
}
OUTCOME_EXPRS: dict[str, Expr] = {c: ("eq", "outcome_group", v) for c, v in OUTCOME_COLUMNS.items()}
FLAG_EXPRS: dict[str, Expr] = {"flagged": ("anybit",), **{c: ("bit", b) for c, b in FLAG_COLUMNS.items()}}

METRICS: tuple[str, ...] = (
    *PREPARE_EXPRS,
    "decided",
    *OUTCOME_EXPRS,
    "declined",
    "lapsed",
    "transferred",
    "to_agency",
    *FLAG_EXPRS,
)


@dataclass(frozen=True)
class Branch:
    """One way a fact contributes to the cells: on ``basis``, in the month held by ``month_column``."""

    basis: str
    month_column: str
    exprs: dict[str, Expr]


BRANCHES: tuple[Branch, ...] = (
    # Issue basis: everything about the detainers prepared in the month.
    Branch(
        Basis.ISSUE,
        "prepared_month",
        {
            **PREPARE_EXPRS,
            "decided": ("set", "decided_month"),
            **OUTCOME_EXPRS,
            "declined": ("set", "declined_month"),
            "lapsed": ("set", "lapsed_month"),
            "transferred": ("set", "transferred_month"),
            "to_agency": ("set", "to_agency_month"),
            **FLAG_EXPRS,
        },
    ),
    # Event basis: each event in the month it was recorded.
    Branch(Basis.EVENT, "prepared_month", PREPARE_EXPRS),
    Branch(Basis.EVENT, "decided_month", {"decided": ("one",)}),
    Branch(Basis.EVENT, "outcome_month", OUTCOME_EXPRS),
    Branch(Basis.EVENT, "declined_month", {"declined": ("one",)}),
    Branch(Basis.EVENT, "lapsed_month", {"lapsed": ("one",)}),
    Branch(Basis.EVENT, "transferred_month", {"transferred": ("one",)}),
    Branch(Basis.EVENT, "to_agency_month", {"to_agency": ("one",)}),
    Branch(Basis.EVENT, "closed_month", FLAG_EXPRS),
)

# Minutes from release eligibility to custody transfer, bucketed: 30 minutes up to 24 h, 2 h up to 48 h, then 48 h+.
BUCKET_EDGES: tuple[int, ...] = tuple(i * 30 for i in range(49)) + tuple(1440 + 120 * i for i in range(1, 13))
BUCKETS: tuple[str, ...] = tuple(f"h{i:02d}" for i in range(len(BUCKET_EDGES)))
HIST_EXPRS: dict[str, Expr] = {b: ("bucket", i) for i, b in enumerate(BUCKETS)}
HIST_BRANCHES: tuple[Branch, ...] = (
    Branch(Basis.ISSUE, "prepared_month", HIST_EXPRS),
    Branch(Basis.EVENT, "transferred_month", HIST_EXPRS),
)


def bucket_of(minutes: int) -> int:
    return max(0, min(len(BUCKET_EDGES) - 1, bisect.bisect_right(BUCKET_EDGES, minutes) - 1))


def bucket_bounds(i: int) -> tuple[int, int | None]:
    return BUCKET_EDGES[i], BUCKET_EDGES[i + 1] if i + 1 < len(BUCKET_EDGES) else None


def median_from_buckets(counts: Sequence[int]) -> float | None:
    """Median minutes from a histogram. Each order statistic is placed at the middle of its share of its bucket,
    so the estimate is within half a bucket of the exact median (±15 minutes below 24 hours, ±1 hour below 48);
    the open last bucket (48 hours or more) answers 48 hours."""
    n = sum(counts)
    if not n:
        return None

    def kth(k: int) -> float:
        seen = 0
        for i, c in enumerate(counts):
            if c and seen + c >= k:
                lo, hi = bucket_bounds(i)
                return float(lo) if hi is None else lo + (k - seen - 0.5) / c * (hi - lo)
            seen += c
        return float(BUCKET_EDGES[-1])

    return kth((n + 1) // 2) if n % 2 else (kth(n // 2) + kth(n // 2 + 1)) / 2


_SAFE_LITERAL = re.compile(r"^[A-Za-z0-9_]+$")


def _eval(expr: Expr, fact: Any) -> int:
    kind = expr[0]
    if kind == "one":
        return 1
    if kind == "eq":
        return int(getattr(fact, expr[1]) == expr[2])
    if kind == "set":
        return int(getattr(fact, expr[1]) is not None)
    if kind == "bit":
        return int(bool(fact.flag_bits & (1 << expr[1])))
    if kind == "anybit":
        return int(fact.flag_bits != 0)
    if kind == "bucket":
        minutes = fact.elig_transfer_minutes
        return int(minutes is not None and bucket_of(minutes) == expr[1])
    raise ValueError(kind)


def _sql(expr: Expr) -> str:
    kind = expr[0]
    if kind == "one":
        return "1"
    if kind == "eq":
        assert _SAFE_LITERAL.match(expr[1]) and _SAFE_LITERAL.match(expr[2])
        return f"CASE WHEN {expr[1]} = '{expr[2]}' THEN 1 ELSE 0 END"
    if kind == "set":
        assert _SAFE_LITERAL.match(expr[1])
        return f"CASE WHEN {expr[1]} IS NOT NULL THEN 1 ELSE 0 END"
    if kind == "bit":
        return f"CASE WHEN (flag_bits & {1 << int(expr[1])}) <> 0 THEN 1 ELSE 0 END"
    if kind == "anybit":
        return "CASE WHEN flag_bits <> 0 THEN 1 ELSE 0 END"
    if kind == "bucket":
        lo, hi = bucket_bounds(int(expr[1]))
        upper = f" AND elig_transfer_minutes < {hi}" if hi is not None else ""
        return f"CASE WHEN elig_transfer_minutes >= {lo}{upper} THEN 1 ELSE 0 END"
    raise ValueError(kind)


# ------------------------------------------------------------------------------------------------ places


@dataclass(frozen=True)
class Place:
    state_abbr: str
    aor: str
    county_fips: str


def places_for_leas(lea_ids: Iterable[int]) -> dict[int, Place]:
    """State, AOR and county of each agency, from its jurisdiction: a county's own FIPS; a city's county; a
    city spanning several counties (New York City) or a statewide agency has no county."""
    out: dict[int, Place] = {}
    leas = LawEnforcementAgency.objects.filter(pk__in=set(lea_ids)).select_related(
        "jurisdiction__aor", "jurisdiction__parent__aor"
    )
    for lea in leas:
        j = lea.jurisdiction
        county = ""
        aor = j.aor.name if j.aor is not None else ""
        if j.level == Level.COUNTY:
            county = j.fips
        elif j.parent is not None and j.parent.level == Level.COUNTY:
            county = j.parent.fips
            aor = aor or (j.parent.aor.name if j.parent.aor is not None else "")
        elif j.level in (Level.MUNICIPALITY, Level.CONSOLIDATED):
            members = list(j.member_counties.values_list("fips", flat=True)[:2])
            if len(members) == 1:
                county = members[0]
        out[lea.pk] = Place(j.state_abbr, aor, county if len(county) == 5 else "")
    return out


def month_of(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
    return date(value.year, value.month, 1)


# ------------------------------------------------------------------------------------------------- facts

STATE_GROUP: dict[str, str] = {
    S.CUSTODY_TRANSFERRED: OutcomeGroup.CUSTODY_TRANSFERRED,
    S.DECLINED: OutcomeGroup.DECLINED_BY_LEA,
    S.RELEASED_WINDOW_EXPIRED: OutcomeGroup.HOLD_EXPIRED_RELEASED,
    S.RELEASED_BEFORE_PICKUP: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    S.RELEASED_NOTICE_GIVEN: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    S.TRANSFERRED_TO_AGENCY: OutcomeGroup.TRANSFERRED_WITH_CUSTODY,
}
_EVENT_NAMES = {
    "decline": "declined_at",
    "expire_hold": "lapsed_at",
    "transfer_custody": "transferred_at",
    "transfer_to_agency": "to_agency_at",
    "close": "closed_at",
}


def _effective_outcome(state: str, outcome_group: str, lift_reason: str) -> str:
    if outcome_group and outcome_group != OutcomeGroup.OPEN_OR_UNKNOWN:
        return outcome_group
    if state == S.LIFTED:
        return str(LIFT_REASON_GROUP.get(lift_reason, OutcomeGroup.LIFTED_UNSPECIFIED))
    return str(STATE_GROUP.get(state, OutcomeGroup.OPEN_OR_UNKNOWN))


def flag_bits(flags: Any) -> int:
    bits = 0
    for flag in flags or []:
        code = str(flag.get("code", "")) if isinstance(flag, dict) else str(flag)
        if len(code) == 2 and code[0] == "V" and code[1] in "12345678":
            bits |= 1 << (int(code[1]) - 1)
    return bits


def detainer_facts(ids: Iterable[int]) -> dict[int, DetainerFact]:
    """Facts of the given detainers, from the case table and the transition log (unsaved rows)."""
    ids = list(set(ids))
    if not ids:
        return {}
    rows = list(
        Detainer.objects.filter(pk__in=ids).values(
            "id",
            "addressed_lea_id",
            "addressed_lea__ori",
            "facility__code",
            "form_type",
            "request_type",
            "prepared_at",
            "lea_decision",
            "decided_at",
            "outcome_group",
            "outcome_at",
            "state",
            "lift_reason",
            "over_detention_flags",
            "booking__release_eligible_at",
        )
    )
    events: dict[int, dict[str, datetime]] = defaultdict(dict)
    terminal_at: dict[int, datetime] = {}
    for case_id, name, at, target in (
        Transition.objects.filter(case_type=CaseType.DETAINER, case_id__in=ids)
        .filter(Q(name__in=list(_EVENT_NAMES)) | Q(target__in=list(TERMINAL_STATES)))
        .order_by("case_id", "seq")
        .values_list("case_id", "name", "at", "target")
    ):
        key = _EVENT_NAMES.get(name)
        if key and key not in events[case_id]:
            events[case_id][key] = at
        if target in TERMINAL_STATES and case_id not in terminal_at:
            terminal_at[case_id] = at
    places = places_for_leas(r["addressed_lea_id"] for r in rows)
    out: dict[int, DetainerFact] = {}
    for r in rows:
        ev = events.get(r["id"], {})
        place = places.get(r["addressed_lea_id"], Place("", "", ""))
        outcome = _effective_outcome(r["state"], r["outcome_group"], r["lift_reason"])
        outcome_at = None
        if outcome != OutcomeGroup.OPEN_OR_UNKNOWN:
            outcome_at = terminal_at.get(r["id"]) or r["outcome_at"]
        transferred_at = ev.get("transferred_at")
        eligible = r["booking__release_eligible_at"]
        minutes = None
        if transferred_at is not None and eligible is not None:
            minutes = max(0, int((transferred_at - eligible).total_seconds() // 60))
        decided_at = r["decided_at"] if r["lea_decision"] else None
        out[r["id"]] = DetainerFact(
            detainer_id=r["id"],
            state_abbr=place.state_abbr,
            aor=place.aor,
            county_fips=place.county_fips,
            ori=r["addressed_lea__ori"],
            facility_code=r["facility__code"],
            form_type=r["form_type"],
            request_type=r["request_type"],
            prepared_at=r["prepared_at"],
            prepared_month=month_of(r["prepared_at"]),  # type: ignore[misc]  # prepared_at is never null
            lea_decision=r["lea_decision"] or "",
            decided_month=month_of(decided_at),
            outcome_group=outcome,
            outcome_month=month_of(outcome_at),
            declined_month=month_of(ev.get("declined_at")),
            lapsed_month=month_of(ev.get("lapsed_at")),
            transferred_month=month_of(transferred_at),
            elig_transfer_minutes=minutes,
            to_agency_month=month_of(ev.get("to_agency_at")),
            closed_month=month_of(ev.get("closed_at")),
            flag_bits=flag_bits(r["over_detention_flags"]),
        )
    return out


FACT_FIELDS = [f.attname for f in DetainerFact._meta.concrete_fields if not f.primary_key]
SUBPOENA_FACT_FIELDS = [f.attname for f in SubpoenaFact._meta.concrete_fields if not f.primary_key]


def subpoena_facts(ids: Iterable[int]) -> dict[int, SubpoenaFact]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = list(
        Subpoena.objects.filter(pk__in=ids).values(
            "id", "recipient_lea_id", "recipient_lea__ori", "state", "issued_at", "served_at", "return_due_at"
        )
    )
    complied: dict[int, tuple[datetime, bool]] = {}
    responded: dict[int, datetime] = {}
    for case_id, name, at in (
        Transition.objects.filter(case_type=CaseType.SUBPOENA, case_id__in=ids)
        .filter(name__in=["comply", "comply_partially", "object", "decline", "comply_under_order"])
        .order_by("case_id", "seq")
        .values_list("case_id", "name", "at")
    ):
        responded.setdefault(case_id, at)
        if name in ("comply", "comply_under_order") and case_id not in complied:
            complied[case_id] = (at, name == "comply_under_order")
    courts = {
        c["referral__subpoena_id"]: c
        for c in CourtCase.objects.filter(referral__subpoena_id__in=ids).values(
            "referral__subpoena_id", "state", "filed_at"
        )
    }
    places = places_for_leas(r["recipient_lea_id"] for r in rows)
    out: dict[int, SubpoenaFact] = {}
    for r in rows:
        place = places.get(r["recipient_lea_id"], Place("", "", ""))
        c = complied.get(r["id"])
        court = courts.get(r["id"])
        out[r["id"]] = SubpoenaFact(
            subpoena_id=r["id"],
            state_abbr=place.state_abbr,
            aor=place.aor,
            county_fips=place.county_fips,
            ori=r["recipient_lea__ori"],
            state=r["state"],
            issued_month=month_of(r["issued_at"]),
            served_month=month_of(r["served_at"]),
            complied_month=month_of(c[0]) if c else None,
            complied_under_order=bool(c and c[1]),
            return_due_at=r["return_due_at"],
            responded_at=responded.get(r["id"]),
            court_state=court["state"] if court else "",
            court_filed_month=month_of(court["filed_at"]) if court else None,
        )
    return out


# ------------------------------------------------------------------------------------------------- cells

CellKey = tuple[str, date, str, str, str, str, str]  # basis, month, state, aor, county, ori, facility


@dataclass(frozen=True, eq=False)  # hashed by identity: used as a dict key
class Family:
    """Cell tables at three levels (facility, county, state) that share metric columns and contribution rules."""

    levels: tuple[tuple[type[models.Model], int], ...]
    metrics: tuple[str, ...]
    branches: tuple[Branch, ...]
    where: str = ""


CELLS = Family(((CellFacility, 7), (CellCounty, 5), (CellState, 4)), METRICS, BRANCHES)
HISTS = Family(
    ((HistFacility, 7), (HistCounty, 5), (HistState, 4)), BUCKETS, HIST_BRANCHES, "elig_transfer_minutes IS NOT NULL"
)
FAMILIES = (CELLS, HISTS)


def contributions(fact: DetainerFact, family: Family = CELLS) -> dict[CellKey, Counter[str]]:
    """What one fact adds to the facility-level cells (the SQL in :func:`rebuild` says the same)."""
    out: dict[CellKey, Counter[str]] = {}
    for branch in family.branches:
        month = getattr(fact, branch.month_column)
        if month is None:
            continue
        key: CellKey = (
            branch.basis,
            month,
            fact.state_abbr,
            fact.aor,
            fact.county_fips,
            fact.ori,
            fact.facility_code,
        )
        counts = out.setdefault(key, Counter())
        for metric, expr in branch.exprs.items():
            value = _eval(expr, fact)
            if value:
                counts[metric] += value
    return out


KEY_COLUMNS = ("basis", "month", "state_abbr", "aor", "county_fips", "ori", "facility_code")


def _apply(deltas: dict[CellKey, Counter[str]], family: Family = CELLS) -> None:
    """Add the deltas to the cells of all three levels (upsert with increments)."""
    metrics = family.metrics
    for model, width in family.levels:
        rolled: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
        for key, counts in deltas.items():
            rolled[key[:width]].update(counts)
        rows = [(k, c) for k, c in rolled.items() if any(c.values())]
        if not rows:
            continue
        table = model._meta.db_table
        keys = KEY_COLUMNS[:width]
        cols = ", ".join([*keys, *metrics])
        row_marks = "(" + ", ".join(["%s"] * (width + len(metrics))) + ")"
        updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in metrics)
        # Multi-row upserts, kept under SQLite's 32,766 bound parameters per statement.
        chunk = max(1, 30_000 // (width + len(metrics)))
        with connection.cursor() as cur:
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                sql = (
                    f"INSERT INTO {table} ({cols}) VALUES {', '.join([row_marks] * len(part))} "  # noqa: S608
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
                )
                cur.execute(sql, [v for k, c in part for v in (*k, *(c.get(m, 0) for m in metrics))])


def _diff(old: DetainerFact | None, new: DetainerFact | None, family: Family = CELLS) -> dict[CellKey, Counter[str]]:
    out: dict[CellKey, Counter[str]] = defaultdict(Counter)
    if new is not None:
        for key, counts in contributions(new, family).items():
            out[key].update(counts)
    if old is not None:
        for key, counts in contributions(old, family).items():
            out[key].subtract(counts)
    return out


def _same(a: Any, b: Any, fields: Sequence[str]) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _store_detainer_facts(ids: set[int]) -> int:
    new = detainer_facts(ids)
    old = DetainerFact.objects.in_bulk(list(ids))
    deltas: dict[Family, dict[CellKey, Counter[str]]] = {family: defaultdict(Counter) for family in FAMILIES}
    changed = []
    for pk in ids:
        o, n = old.get(pk), new.get(pk)
        if o is not None and n is not None and _same(o, n, FACT_FIELDS):
            continue
        for family in FAMILIES:
            for key, counts in _diff(o, n, family).items():
                deltas[family][key].update(counts)  # update() adds, negative deltas included
        changed.append(pk)
        if n is None and o is not None:
            o.delete()
    for family in FAMILIES:
        _apply(deltas[family], family)
    DetainerFact.objects.bulk_create(
        [new[pk] for pk in changed if pk in new],
        update_conflicts=True,
        unique_fields=["detainer_id"],
        update_fields=FACT_FIELDS,
    )
    return len(changed)


def _store_subpoena_facts(ids: set[int]) -> None:
    new = subpoena_facts(ids)
    SubpoenaFact.objects.filter(subpoena_id__in=ids - set(new)).delete()
    SubpoenaFact.objects.bulk_create(
        list(new.values()), update_conflicts=True, unique_fields=["subpoena_id"], update_fields=SUBPOENA_FACT_FIELDS
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
            result.detainers += _store_detainer_facts(detainer_ids)
            _store_subpoena_facts(subpoena_ids)
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
                exprs = ", ".join(f"{_sql(b.exprs[m])} AS {m}" if m in b.exprs else f"0 AS {m}" for m in metrics)
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


# ------------------------------------------------------------------------------------------------ filters

GROUPS = ("state", "aor", "county", "lea", "facility", "month")
GROUP_COLUMN = {
    "state": "state_abbr",
    "aor": "aor",
    "county": "county_fips",
    "lea": "ori",
    "facility": "facility_code",
    "month": "month",
}
GROUP_LABEL = {
    "state": "State",
    "aor": "Area of responsibility",
    "county": "County (FIPS)",
    "lea": "LEA (ORI)",
    "facility": "Facility (code)",
    "month": "Month",
}
GROUP_TITLE = {
    "state": "Detainers by state",
    "aor": "Detainers by area of responsibility",
    "county": "Detainers by county (FIPS)",
    "lea": "Detainers by LEA (ORI)",
    "facility": "Detainers by facility (code)",
    "month": "Detainers by month",
}
_LEVEL_OF_GROUP = {"state": 2, "aor": 2, "month": 2, "county": 1, "lea": 0, "facility": 0}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # first day of the last month, inclusive
    basis: str = Basis.ISSUE
    state: str = ""
    aor: str = ""
    county: str = ""
    ori: str = ""
    facility: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        if self.basis not in Basis.values:
            raise ValueError(f"basis must be one of {Basis.values}")
        if self.group and self.group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}")
        if self.start > self.end:
            raise ValueError("the period starts after it ends")

    @property
    def drill_group(self) -> str:
        """The next level down from the narrowest place filter: state → county → LEA → facility."""
        if self.group:
            return self.group
        if self.facility or self.ori:
            return "facility"
        if self.county:
            return "lea"
        if self.state or self.aor:
            return "county"
        return "state"

    def place_filter(self) -> dict[str, str]:
        out = {}
        for attr, column in (
            ("state", "state_abbr"),
            ("aor", "aor"),
            ("county", "county_fips"),
            ("ori", "ori"),
            ("facility", "facility_code"),
        ):
            value = getattr(self, attr)
            if value:
                out[column] = value
        return out

    def level(self, group: str = "") -> int:
        """0 = facility cells, 1 = county cells, 2 = state cells: the smallest table that can answer."""
        level = 2
        if self.county:
            level = 1
        if self.ori or self.facility:
            level = 0
        if group:
            level = min(level, _LEVEL_OF_GROUP[group])
        return level

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


CELL_MODELS: dict[int, type[CellBase]] = {0: CellFacility, 1: CellCounty, 2: CellState}


def _cells(f: Filters, group: str = "", family: Family = CELLS) -> models.QuerySet[Any]:
    model = family.levels[f.level(group)][0]
    return model._default_manager.filter(basis=f.basis, month__gte=f.start, month__lte=f.end, **f.place_filter())


def bucket_counts(f: Filters, group: str = "") -> dict[Any, list[int]]:
    """Transfer-time histograms (``BUCKETS``), overall (key ``None``) or per group."""
    qs = _cells(f, group, HISTS).order_by()
    sums = {b: Sum(b) for b in BUCKETS}
    if not group:
        agg = qs.aggregate(**sums)
        return {None: [int(agg[b] or 0) for b in BUCKETS]}
    column = GROUP_COLUMN[group]
    return {row[column]: [int(row[b] or 0) for b in BUCKETS] for row in qs.values(column).annotate(**sums)}


def medians(f: Filters, group: str = "") -> dict[Any, float | None]:
    """Median minutes from release eligibility to custody transfer, overall (key ``None``) or per group."""
    return {k: median_from_buckets(v) for k, v in bucket_counts(f, group).items()}


# ------------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | share | hours | month


@dataclass
class Table:
    key: str
    title: str
    description: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def header(self) -> list[str]:
        return [c.key for c in self.columns]

    def display_columns(self) -> list[Column]:
        """Columns shown on a page: the machine key of a metric stays in the downloads."""
        return [c for c in self.columns if c.key != "metric"]

    def records(self, *, with_total: bool = True) -> list[dict[str, Any]]:
        out = [dict(r) for r in self.rows]
        if with_total and self.total is not None:
            out.append(dict(self.total))
        return out


def _share(num: int | None, den: int | None) -> float | None:
    return round(num / den, 4) if num is not None and den else None


def _hours(minutes: float | None) -> float | None:
    return round(minutes / 60, 2) if minutes is not None else None


SUMMARY_METRICS: tuple[tuple[str, str], ...] = (
    ("prepared", "Detainers prepared"),
    ("decided", "With a recorded LEA decision"),
    ("completeness", "Completeness: share with a recorded LEA decision"),
    ("declined", "Declined by the LEA"),
    ("share_declined", "Share declined (of recorded LEA decisions)"),
    ("out_released_before_pickup", "Released before pickup"),
    ("lapsed", "Holds lapsed at the ceiling (released, window expired)"),
    ("transferred", "Custody transferred to the agency"),
    ("to_agency", "Transferred to another LEA (not counted as declined)"),
    ("flagged", "With an over-detention flag"),
    ("median_hours", "Median hours from release eligibility to custody transfer (±15 min below 24 h)"),
    ("transfers_timed", "Custody transfers with both times recorded"),
)


def _metric_sums(qs: models.QuerySet[Any], metrics: Sequence[str] = METRICS) -> dict[str, int]:
    agg = qs.aggregate(**{m: Sum(m) for m in metrics})
    return {m: int(agg[m] or 0) for m in metrics}


def _derived(row: dict[str, Any]) -> dict[str, Any]:
    row["completeness"] = _share(row.get("decided"), row.get("prepared"))
    row["share_declined"] = _share(row.get("declined"), row.get("decided"))
    return row


BREAKDOWN_METRICS = (
    "prepared",
    "decided",
    "declined",
    "out_released_before_pickup",
    "lapsed",
    "transferred",
    "to_agency",
    "flagged",
)
TREND_METRICS = ("prepared", "decided", "declined", "out_released_before_pickup", "lapsed", "transferred", "flagged")
METRIC_LABELS = {
    "prepared": "Prepared",
    "decided": "LEA decision recorded",
    "completeness": "Completeness",
    "declined": "Declined",
    "share_declined": "Share declined",
    "out_released_before_pickup": "Released before pickup",
    "lapsed": "Holds lapsed",
    "transferred": "Custody transferred",
    "to_agency": "To another LEA",
    "flagged": "Over-detention flag",
    "median_hours": "Median hours, eligibility → transfer",
    **{c: FormType(v).label for c, v in FORM_COLUMNS.items()},
    **{c: RequestType(v).label for c, v in REQUEST_COLUMNS.items()},
    **{c: OutcomeGroup(v).label for c, v in OUTCOME_COLUMNS.items()},
    **FLAG_LABELS,
}


_NAMES_TTL = 300.0
_names_cache: dict[str, tuple[float, dict[str, str]]] = {}


def _cached(kind: str, load: Any) -> dict[str, str]:
    """Place names change only with reference data: keep them for a few minutes per process."""
    hit = _names_cache.get(kind)
    if hit is None or time.monotonic() - hit[0] > _NAMES_TTL:
        hit = (time.monotonic(), load())
        _names_cache[kind] = hit
    return hit[1]


def county_names(fips: Iterable[str]) -> dict[str, str]:
    names = _cached(
        "county",
        lambda: {
            f: f"{n}, {s}"
            for f, n, s in Jurisdiction.objects.filter(level=Level.COUNTY).values_list("fips", "name", "state_abbr")
        },
    )
    return {f: names[f] for f in fips if f in names}


def state_names() -> dict[str, str]:
    return _cached(
        "state", lambda: dict(Jurisdiction.objects.filter(level=Level.STATE).values_list("state_abbr", "name"))
    )


def _group_rows(f: Filters, group: str, metrics: Sequence[str]) -> list[dict[str, Any]]:
    column = GROUP_COLUMN[group]
    qs = _cells(f, group).order_by().values(column).annotate(**{m: Sum(m) for m in metrics}).order_by(column)
    return [{column: r[column], **{m: int(r[m] or 0) for m in metrics}} for r in qs]


def _labels_for(group: str, keys: Iterable[Any]) -> dict[Any, str]:
    if group == "state":
        names = state_names()
        return {k: names.get(k, "") for k in keys}
    if group == "county":
        return county_names(keys)
    return {}


def breakdown(f: Filters, group: str | None = None) -> Table:
    group = group or f.drill_group
    column = GROUP_COLUMN[group]
    rows = _group_rows(f, group, BREAKDOWN_METRICS)
    meds = medians(f, group)
    labels = _labels_for(group, (r[column] for r in rows))
    for r in rows:
        key = r[column]
        if group == "month":
            r["month"] = key.strftime("%Y-%m")
        elif group == "state":
            r["label"] = labels.get(key, "")
        elif group == "county":
            r["label"] = labels.get(key, "") if key else "Statewide agencies, or no single county"
        _derived(r)
        r["median_hours"] = _hours(meds.get(key))
    total = {column: "Total", **_metric_sums(_cells(f), BREAKDOWN_METRICS)}
    _derived(total)
    total["median_hours"] = _hours(medians(f).get(None))
    columns = [Column(column, GROUP_LABEL[group], "month" if group == "month" else "text")]
    if group in ("state", "county"):
        columns.append(Column("label", "Name", "text"))
        total["label"] = ""
    columns += [
        Column("prepared", METRIC_LABELS["prepared"]),
        Column("decided", METRIC_LABELS["decided"]),
        Column("completeness", METRIC_LABELS["completeness"], "share"),
        Column("declined", METRIC_LABELS["declined"]),
        Column("share_declined", METRIC_LABELS["share_declined"], "share"),
        Column("out_released_before_pickup", METRIC_LABELS["out_released_before_pickup"]),
        Column("lapsed", METRIC_LABELS["lapsed"]),
        Column("transferred", METRIC_LABELS["transferred"]),
        Column("to_agency", METRIC_LABELS["to_agency"]),
        Column("flagged", METRIC_LABELS["flagged"]),
        Column("median_hours", METRIC_LABELS["median_hours"], "hours"),
    ]
    return Table(
        key="breakdown",
        title=GROUP_TITLE[group],
        description=_basis_sentence(f),
        columns=columns,
        rows=rows,
        total=total,
    )


def _basis_sentence(f: Filters) -> str:
    if f.basis == Basis.ISSUE:
        return (
            "Issue date: detainers prepared in the period, with what has become of them so far. "
            "Later events count in the month the detainer was prepared."
        )
    return (
        "Event date: each event counts in the month it was recorded — declines by decline date, holds lapsed by "
        "ceiling, transfers by transfer date — whatever month the detainer was prepared in."
    )


def summary(f: Filters) -> Table:
    sums = _derived(_metric_sums(_cells(f)))
    counts = bucket_counts(f)[None]
    sums["median_hours"] = _hours(median_from_buckets(counts))
    sums["transfers_timed"] = sum(counts)
    rows = []
    for key, label in SUMMARY_METRICS:
        kind = "share" if key in ("completeness", "share_declined") else "hours" if key == "median_hours" else "int"
        rows.append({"metric": key, "label": label, "value": sums.get(key), "kind": kind})
    return Table(
        key="summary",
        title="Summary",
        description=_basis_sentence(f),
        columns=[Column("metric", "Metric key", "text"), Column("label", "Metric", "text"), Column("value", "Value")],
        rows=rows,
    )


def _count_table(
    f: Filters, key: str, title: str, mapping: dict[str, str], code_label: str, sums: dict[str, int]
) -> Table:
    total = sum(sums[c] for c in mapping)
    rows = [
        {"code": code, "label": METRIC_LABELS[col], "count": sums[col], "share": _share(sums[col], total)}
        for col, code in mapping.items()
    ]
    return Table(
        key=key,
        title=title,
        description=_basis_sentence(f),
        columns=[
            Column("code", code_label, "text"),
            Column("label", "Meaning", "text"),
            Column("count", "Count"),
            Column("share", "Share", "share"),
        ],
        rows=rows,
        total={"code": "Total", "label": "", "count": total, "share": 1.0 if total else None},
    )


def type_tables(f: Filters, sums: dict[str, int]) -> list[Table]:
    return [
        _count_table(f, "form-types", "Detainers prepared by form", FORM_COLUMNS, "Form", sums),
        _count_table(f, "request-types", "Detainers prepared by request type", REQUEST_COLUMNS, "Request", sums),
    ]


def outcome_table(f: Filters, sums: dict[str, int]) -> Table:
    t = _count_table(f, "outcomes", "Outcome groups", OUTCOME_COLUMNS, "Outcome group", sums)
    if f.basis == Basis.EVENT:
        t.notes.append("On the event basis an outcome counts in the month it was recorded; open cases are not events.")
    return t


def flag_table(f: Filters, sums: dict[str, int]) -> Table:
    rows = [{"code": col.upper(), "label": FLAG_LABELS[col], "count": sums[col]} for col in FLAG_COLUMNS]
    return Table(
        key="over-detention",
        title="Over-detention flags",
        description=(
            "Detainers with each flag (domain.md A5.3), computed when the case closes; a detainer can carry "
            "several flags. " + _basis_sentence(f)
        ),
        columns=[Column("code", "Flag", "text"), Column("label", "Meaning", "text"), Column("count", "Detainers")],
        rows=rows,
        total={"code": "Any flag", "label": "", "count": sums["flagged"]},
    )


def trend(f: Filters) -> Table:
    """One row per month of the period, with how much of the month the record covers (a partial month's low
    counts are not a fall)."""
    rows = _group_rows(f, "month", TREND_METRICS)
    by_month = {r["month"]: r for r in rows}
    cov = coverage()
    out = []
    m = f.start
    while m <= f.end:
        r = by_month.get(m, {"month": m, **dict.fromkeys(TREND_METRICS, 0)})
        covered = (cov.month(m) if cov else "no data") or FULL_MONTH
        out.append({**r, "month": m.strftime("%Y-%m"), "coverage": covered})
        m = add_months(m, 1)
    note = cov.note(f.start, f.end) if cov else ""
    return Table(
        key="monthly",
        title="Monthly trend",
        description=_basis_sentence(f),
        columns=[
            Column("month", "Month", "month"),
            *(Column(m, METRIC_LABELS[m]) for m in TREND_METRICS),
            Column("coverage", "Coverage", "text"),
        ],
        rows=out,
        notes=[note] if note else [],
    )


def county_map(f: Filters) -> Table:
    rows = _group_rows(f, "county", ("prepared", "declined", "transferred"))
    names = county_names(r["county_fips"] for r in rows)
    out = []
    no_county = {"prepared": 0, "declined": 0, "transferred": 0}
    for r in rows:
        if not r["county_fips"]:
            for k in no_county:
                no_county[k] += r[k]
            continue
        out.append({**r, "label": names.get(r["county_fips"], ""), "share_declined": None})
    out.sort(key=lambda r: (-r["prepared"], r["county_fips"]))
    t = Table(
        key="counties",
        title="Detainers by county",
        description=_basis_sentence(f) + " Counties with no detainers in the period are not listed.",
        columns=[
            Column("county_fips", "County (FIPS)", "text"),
            Column("label", "Name", "text"),
            Column("prepared", METRIC_LABELS["prepared"]),
            Column("declined", METRIC_LABELS["declined"]),
            Column("transferred", METRIC_LABELS["transferred"]),
        ],
        rows=out,
    )
    if any(no_county.values()):
        t.notes.append(
            f"Not on the map: {no_county['prepared']:,} detainers prepared for agencies with no single county "
            "(statewide agencies, cities spanning several counties)."
        )
    return t


SUBPOENA_DONE = {SubpoenaState.COMPLIED, SubpoenaState.COMPLIED_UNDER_ORDER}


def subpoena_table(f: Filters, at: datetime | None = None) -> Table:
    at = at or _now()
    place = {k: v for k, v in f.place_filter().items() if k != "facility_code"}
    qs = SubpoenaFact.objects.filter(**place)
    col = "issued_month" if f.basis == Basis.ISSUE else "served_month"
    qs = qs.filter(**{f"{col}__gte": f.start, f"{col}__lte": f.end})
    served = qs.exclude(served_month=None)
    if f.basis == Basis.EVENT:
        complied = SubpoenaFact.objects.filter(**place, complied_month__gte=f.start, complied_month__lte=f.end).count()
        under_order = SubpoenaFact.objects.filter(
            **place, complied_month__gte=f.start, complied_month__lte=f.end, complied_under_order=True
        ).count()
    else:
        complied = qs.exclude(complied_month=None).count()
        under_order = qs.filter(complied_under_order=True).count()
    overdue = served.filter(return_due_at__lt=at).filter(
        Q(responded_at=None) | Q(responded_at__gt=models.F("return_due_at"))
    )
    rows = [
        {"metric": "issued", "label": "Issued", "count": qs.exclude(issued_month=None).count()},
        {"metric": "served", "label": "Served", "count": served.count()},
        {"metric": "complied", "label": "Complied (voluntarily or under a court order)", "count": complied},
        {"metric": "complied_under_order", "label": "Complied under a court order", "count": under_order},
        {
            "metric": "overdue",
            "label": "Overdue: no response by the return date",
            "count": overdue.count(),
        },
        {
            "metric": "open_past_due",
            "label": "Still without a response, return date passed",
            "count": overdue.filter(responded_at=None).exclude(state__in=list(SUBPOENA_DONE)).count(),
        },
    ]
    basis = "issue date" if f.basis == Basis.ISSUE else "service date (complied: compliance date)"
    return Table(
        key="subpoenas",
        title="Administrative subpoenas",
        description=f"Subpoenas to agencies in the selection, by {basis}. Overdue is as of {at:%Y-%m-%d %H:%M} UTC.",
        columns=[Column("metric", "Metric key", "text"), Column("label", "Metric", "text"), Column("count", "Count")],
        rows=rows,
        notes=["Subpoenas go to agencies, not facilities: a facility filter is not applied to them."]
        if f.facility
        else [],
    )


def court_table(f: Filters) -> Table:
    place = {k: v for k, v in f.place_filter().items() if k != "facility_code"}
    qs = SubpoenaFact.objects.filter(**place, court_filed_month__gte=f.start, court_filed_month__lte=f.end).exclude(
        court_state=""
    )
    counts = dict(qs.order_by().values_list("court_state").annotate(n=Count("pk")).values_list("court_state", "n"))
    rows = [
        {"code": code, "label": label, "count": counts.get(code, 0)}
        for code, label in CourtState.choices
        if counts.get(code, 0) or code in (CourtState.PETITION_FILED, CourtState.ENFORCED)
    ]
    return Table(
        key="court-cases",
        title="Subpoena enforcement cases by stage",
        description="Court cases filed in the period, by their stage today.",
        columns=[Column("code", "Stage", "text"), Column("label", "Meaning", "text"), Column("count", "Cases")],
        rows=rows,
        total={"code": "Total", "label": "", "count": sum(counts.values())},
    )


@dataclass
class Dashboard:
    filters: Filters
    tables: dict[str, Table]
    refreshed_at: datetime | None

    def table(self, key: str) -> Table:
        return self.tables[key]


TABLE_KEYS = (
    "summary",
    "breakdown",
    "monthly",
    "counties",
    "form-types",
    "request-types",
    "outcomes",
    "over-detention",
    "subpoenas",
    "court-cases",
)


def dashboard(f: Filters, *, tables: Sequence[str] = TABLE_KEYS) -> Dashboard:
    """Every table of the dashboard for one filter. Reads cells and facts only."""
    out: dict[str, Table] = {}
    sums: dict[str, int] | None = None
    for key in tables:
        if key == "summary":
            out[key] = summary(f)
        elif key == "breakdown":
            out[key] = breakdown(f)
        elif key == "monthly":
            out[key] = trend(f)
        elif key == "counties":
            out[key] = county_map(f)
        elif key in ("form-types", "request-types", "outcomes", "over-detention"):
            if sums is None:
                sums = _metric_sums(_cells(f))
            if key == "outcomes":
                out[key] = outcome_table(f, sums)
            elif key == "over-detention":
                out[key] = flag_table(f, sums)
            else:
                out[key] = next(t for t in type_tables(f, sums) if t.key == key)
        elif key == "subpoenas":
            out[key] = subpoena_table(f)
        elif key == "court-cases":
            out[key] = court_table(f)
        else:
            raise KeyError(key)
    return Dashboard(filters=f, tables=out, refreshed_at=refreshed_at())


# ------------------------------------------------------------------------------------------------ helpers


def parse_month(value: str) -> date:
    """``YYYY-MM`` → the first day of that month."""
    try:
        year, month = value.strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{value!r} is not a month (YYYY-MM)") from exc


def parse_period(value: str) -> tuple[date, date]:
    """``YYYY-MM..YYYY-MM`` (or one month) → first days of the first and last months."""
    start, _, end = value.partition("..")
    first, last = parse_month(start), parse_month(end or start)
    if first > last:
        raise ValueError(f"the period {value!r} starts after it ends")
    return first, last


def place_options(f: Filters) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filter form: states always; AORs and counties within the state; LEAs in the county."""
    names = state_names()
    states = sorted(set(CellState.objects.values_list("state_abbr", flat=True)) - {""})
    out: dict[str, list[tuple[str, str]]] = {
        "state": [(s, f"{s} — {names.get(s, s)}") for s in states],
        "aor": [(a, a) for a in AreaOfResponsibility.objects.order_by("name").values_list("name", flat=True)],
        "county": [],
        "ori": [],
        "facility": [],
    }
    if f.state:
        labels = county_names(
            Jurisdiction.objects.filter(level=Level.COUNTY, state_abbr=f.state).values_list("fips", flat=True)
        )
        out["county"] = [(c, f"{c} — {labels[c]}") for c in sorted(labels)]
    if f.county or f.ori:
        qs = CellFacility.objects.filter(county_fips=f.county) if f.county else CellFacility.objects.filter(ori=f.ori)
        out["ori"] = [(o, o) for o in sorted(set(qs.values_list("ori", flat=True)))]
        if f.ori:
            codes = CellFacility.objects.filter(ori=f.ori).values_list("facility_code", flat=True)
            out["facility"] = [(c, c) for c in sorted(set(codes))]
    return out
