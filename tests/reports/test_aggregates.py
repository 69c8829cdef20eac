"""Report aggregates: the dashboard's numbers against independent queries over the case records, the two date
bases, incremental upkeep against a full rebuild, drill-down, downloads and page access."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import date, timedelta

import pytest
from django.db.models import Count
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.audit.models import Transition
from holdtrack.cases.models import Detainer, OutcomeGroup
from holdtrack.reports import aggregates, exports
from holdtrack.reports.aggregates import Filters, tables
from holdtrack.reports.models import DetainerFact
from tests.factories import T0, UserFactory, received
from tests.reports.conftest import History, decline

pytestmark = pytest.mark.django_db

FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)


def summary_values(f: Filters) -> dict[str, object]:
    return {r["metric"]: r["value"] for r in aggregates.summary(f).rows}


def cells_dump() -> list[dict[tuple[object, ...], tuple[int, ...]]]:
    """Every non-empty row of every cell table (counts and transfer-time histograms, three levels each)."""
    out = []
    for family in aggregates.FAMILIES:
        for model, width in family.levels:
            keys = aggregates.KEY_COLUMNS[:width]
            rows = {}
            for c in model._default_manager.all():
                values = tuple(getattr(c, m) for m in family.metrics)
                if any(values):
                    rows[tuple(getattr(c, k) for k in keys)] = values
            out.append(rows)
    return out


# ------------------------------------------------------------------------------------ numbers


def test_summary_matches_independent_queries(history: History) -> None:
    aggregates.refresh()
    f = Filters(start=FEB, end=MAR)
    values = summary_values(f)
    detainers = Detainer.objects.filter(prepared_at__date__gte=FEB, prepared_at__date__lt=date(2026, 4, 1))
    assert values["prepared"] == detainers.count() == 9
    declines = Transition.objects.filter(case_type="detainer", name="decline", case_id__in=detainers.values("pk"))
    assert values["declined"] == declines.count() == 4
    assert values["decided"] == detainers.exclude(lea_decision="").count()
    assert values["transferred"] == 2
    assert values["lapsed"] == 1
    assert values["to_agency"] == 1
    # The median, computed here from the bookings and the transition log.
    minutes = []
    for d in (history.transferred_tx, history.transferred_ca):
        at = Transition.objects.get(case_type="detainer", case_id=d.pk, name="transfer_custody").at
        minutes.append((at - d.booking.release_eligible_at).total_seconds() / 60)
    assert minutes == [180, 300]
    exact = statistics.median(minutes) / 60
    assert exact == 4.0
    # Read off 30-minute buckets: within a quarter hour of the exact median (aggregates.median_from_buckets).
    assert abs(values["median_hours"] - exact) <= 0.25
    assert values["share_declined"] == round(4 / values["decided"], 4)


def test_breakdown_by_state_matches_a_group_by_over_detainers(history: History) -> None:
    aggregates.refresh()
    f = Filters(start=FEB, end=MAR)
    table = aggregates.breakdown(f)
    got = {r["state_abbr"]: r["prepared"] for r in table.rows}
    expected = dict(
        Detainer.objects.values_list("addressed_lea__jurisdiction__state_abbr")
        .annotate(n=Count("pk"))
        .values_list("addressed_lea__jurisdiction__state_abbr", "n")
    )
    assert got == expected == {"TX": 5, "CA": 4}
    assert table.total is not None and table.total["prepared"] == 9
    outcomes = {r["code"]: r["count"] for r in aggregates.dashboard(f).tables["outcomes"].rows}
    assert outcomes[OutcomeGroup.DECLINED_BY_LEA] == 4
    assert outcomes[OutcomeGroup.TRANSFERRED_WITH_CUSTODY] == 1  # the transfer is its own group, not a decline
    assert outcomes[OutcomeGroup.HOLD_EXPIRED_RELEASED] == 1


def test_issue_date_and_event_date_are_kept_apart(history: History) -> None:
    aggregates.refresh()
    # Prepared in February, declined in March.
    feb_issue = summary_values(Filters(start=FEB, end=FEB))
    feb_event = summary_values(Filters(start=FEB, end=FEB, basis="E"))
    mar_event = summary_values(Filters(start=MAR, end=MAR, basis="E"))
    assert feb_issue["prepared"] == 1 and feb_issue["declined"] == 1
    assert feb_event["prepared"] == 1 and feb_event["declined"] == 0
    assert mar_event["declined"] == 4


def test_every_cell_level_gives_the_same_totals(history: History) -> None:
    aggregates.refresh()
    f = Filters(start=FEB, end=MAR)
    by_level = {
        level: tables._metric_sums(model.objects.filter(basis="I", month__gte=FEB, month__lte=MAR))
        for level, model in aggregates.CELL_MODELS.items()
    }
    assert by_level[0] == by_level[1] == by_level[2]
    county = history.tx.lea.jurisdiction.fips
    lea_rows = aggregates.breakdown(f.with_(county=county)).rows
    assert {r["ori"] for r in lea_rows} == {history.tx.lea.ori, history.tx2.lea.ori}
    assert sum(r["prepared"] for r in lea_rows) == 5


@pytest.mark.smoke
def test_incremental_upkeep_equals_a_full_rebuild(history: History) -> None:
    aggregates.refresh()
    # More events after the first refresh: the outbox carries them.
    later = received(history.ca, at=T0 + timedelta(days=40))
    decline(history.ca, later, T0 + timedelta(days=41))
    result = aggregates.refresh()
    assert not result.rebuilt and result.detainers >= 1
    incremental = cells_dump()
    facts = {f.detainer_id: f for f in DetainerFact.objects.all()}
    aggregates.rebuild()
    assert cells_dump() == incremental
    rebuilt = {f.detainer_id: f for f in DetainerFact.objects.all()}
    assert {k: [getattr(v, a) for a in aggregates.FACT_FIELDS] for k, v in facts.items()} == {
        k: [getattr(v, a) for a in aggregates.FACT_FIELDS] for k, v in rebuilt.items()
    }


def test_places_are_keyed_by_codes_not_names(history: History) -> None:
    aggregates.refresh()
    f = Filters(start=FEB, end=MAR, county=history.tx.lea.jurisdiction.fips)
    rows = aggregates.breakdown(f).rows
    assert len(rows) == 2  # two agencies with one name, two ORIs, two rows
    for table in aggregates.dashboard(f).tables.values():
        text = repr(table.rows) + repr(table.total)
        assert history.tx.lea.name not in text
        assert history.tx.facility.name not in text


def test_drill_down_goes_state_county_lea_facility(history: History) -> None:
    aggregates.refresh()
    f = Filters(start=FEB, end=MAR)
    assert f.drill_group == "state"
    assert f.with_(state="TX").drill_group == "county"
    assert f.with_(state="TX", county="48201").drill_group == "lea"
    assert f.with_(ori=history.tx.lea.ori).drill_group == "facility"
    facility_rows = aggregates.breakdown(f.with_(ori=history.tx.lea.ori)).rows
    assert [r["facility_code"] for r in facility_rows] == [history.tx.facility.code]


# ------------------------------------------------------------------------------------ pages and files


@pytest.fixture
def analyst(db):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.ANALYST)


def test_dashboard_is_for_report_roles_only(client, history: History, analyst) -> None:  # type: ignore[no-untyped-def]
    url = reverse("reports:dashboard")
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(history.tx.booking_clerk)
    assert client.get(url).status_code == 403
    client.force_login(analyst)
    page = client.get(url + "?start=2026-02&end=2026-03").content.decode()
    assert '<th scope="col"' in page and '<th scope="row"' in page
    assert "<h1>" in page and page.index("<h1>") < page.index("<h2")
    assert 'type="application/json"' in page and "<script>" not in page  # no inline script
    for w in (history.tx, history.ca):
        assert w.lea.name not in page and w.facility.name not in page
    for label in ('for="f-start"', 'for="f-state"', 'for="f-ori"'):
        assert label in page


def test_every_table_downloads_in_every_format(client, history: History, analyst) -> None:  # type: ignore[no-untyped-def]
    import openpyxl
    import pyarrow.parquet as pq

    client.force_login(analyst)
    query = "?start=2026-02&end=2026-03&state=TX"
    f = Filters(start=FEB, end=MAR, state="TX")
    aggregates.refresh()
    dashboard = aggregates.dashboard(f)
    for key in aggregates.TABLE_KEYS:
        table = dashboard.tables[key]
        for fmt in exports.FORMATS:
            r = client.get(reverse("reports:download", args=[key, fmt]) + query)
            assert r.status_code == 200, (key, fmt)
            # February is partial: the record starts on 10 February (test_coverage.py).
            assert f"holdtrack-{key}-issue-2026-02-2026-03-partial-TX.{fmt}" in r["Content-Disposition"]
            body = r.content
            if fmt == "csv":
                rows = list(csv.DictReader(io.StringIO(body.decode())))
                assert len(rows) == len(table.records())
                for got, want in zip(rows, table.records(), strict=True):
                    for c in table.columns:
                        v = want.get(c.key)
                        assert got[c.key] == ("" if v is None else str(v)), (key, c.key)
            elif fmt == "parquet":
                pt = pq.read_table(io.BytesIO(body))
                assert pt.num_rows == len(table.records())
                assert pt.column_names == table.header()
            else:
                ws = openpyxl.load_workbook(io.BytesIO(body)).active
                assert ws is not None and ws["A1"].value == table.title
    assert client.get(reverse("reports:download", args=["nope", "csv"])).status_code == 404


@pytest.mark.smoke
def test_page_shows_the_numbers_of_the_summary(client, history: History, analyst) -> None:  # type: ignore[no-untyped-def]
    client.force_login(analyst)
    page = client.get(reverse("reports:dashboard") + "?start=2026-02&end=2026-03").content.decode()
    assert '<th scope="row">Detainers prepared</th><td class="num">9</td>' in page
    assert "Drill-down" in page and "?start=2026-02&amp;end=2026-03&amp;basis=I&amp;state=TX" in page
