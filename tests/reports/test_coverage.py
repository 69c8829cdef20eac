"""Issue 14: reports open on the last 12 months that have data, and a month the record covers only in part is
labelled on the page, in the chart and in the downloads."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.reports import aggregates, coverage
from holdtrack.reports.aggregates import Filters
from holdtrack.reports.coverage import Coverage
from tests.factories import T0, UserFactory, make_world, prepared
from tests.reports.conftest import History

# The history of tests/reports/conftest.py starts with a detainer prepared on 10 February 2026 (T0 - 20 days).
RECORD_STARTS = T0 - timedelta(days=20)


@pytest.fixture
def analyst(db):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.ANALYST)


def test_a_month_is_labelled_by_how_much_of_it_the_record_covers():
    cov = Coverage(start=datetime(2026, 8, 8, 9, tzinfo=UTC), end=datetime(2026, 12, 6, 5, tzinfo=UTC))
    assert cov.month(date(2026, 7, 1)) == "no data: before the record starts"
    assert cov.month(date(2026, 8, 1)) == "partial: the record starts 2026-08-08"
    assert cov.month(date(2026, 9, 1)) == ""
    assert cov.month(date(2026, 11, 1)) == ""
    assert cov.month(date(2026, 12, 1)) == "partial: data to 2026-12-06"
    assert cov.month(date(2027, 1, 1)) == "no data yet"
    short = Coverage(start=datetime(2026, 12, 2, tzinfo=UTC), end=datetime(2026, 12, 6, tzinfo=UTC))
    assert short.month(date(2026, 12, 1)) == "partial: 2026-12-02 to 2026-12-06 only"
    assert cov.note(date(2026, 9, 1), date(2026, 11, 1)) == ""
    assert cov.note(date(2026, 8, 1), date(2026, 12, 1)) == (
        "Partial months in this period, not comparable with full ones: "
        "2026-08 (partial: the record starts 2026-08-08); 2026-12 (partial: data to 2026-12-06)."
    )


def test_with_no_data_the_report_opens_on_this_month(db):
    assert coverage.default_period(date(2026, 12, 6)) == (date(2026, 12, 1), date(2026, 12, 1))
    assert coverage.coverage() is None


def test_the_report_opens_on_the_months_that_have_data_not_on_months_of_zeros(
    client, history: History, analyst
) -> None:  # type: ignore[no-untyped-def]
    aggregates.refresh()
    first, last = aggregates.data_months()  # type: ignore[misc]
    assert first == date(2026, 2, 1)
    assert coverage.default_period(date(2026, 12, 6)) == (first, last)  # fewer than 12 months of record: all of them
    client.force_login(analyst)
    page = client.get(reverse("reports:dashboard")).content.decode()
    assert f'name="start" value="{first:%Y-%m}"' in page and f'name="end" value="{last:%Y-%m}"' in page


def test_with_more_than_a_year_of_data_the_report_opens_on_the_last_twelve_months(db) -> None:
    w = make_world()
    prepared(w, at=T0 - timedelta(days=500))
    prepared(w, at=T0)
    aggregates.refresh()
    assert aggregates.data_months() == (date(2024, 10, 1), date(2026, 3, 1))
    assert coverage.default_period(date(2026, 12, 6)) == (date(2025, 4, 1), date(2026, 3, 1))


def test_the_partial_first_month_is_labelled_on_the_page_in_the_chart_and_in_the_table(
    client, history: History, analyst
) -> None:  # type: ignore[no-untyped-def]
    aggregates.refresh()
    client.force_login(analyst)
    page = client.get(reverse("reports:dashboard") + "?start=2026-02&end=2026-04").content.decode()
    label = f"partial: the record starts {RECORD_STARTS:%Y-%m-%d}"
    # The page, above the tables.
    assert 'id="partial-months"' in page and f"2026-02 ({label})" in page
    # The monthly table: a coverage column; full months say so.
    table = page.split('id="table-monthly"', 1)[1].split("</section>", 1)[0]
    assert "<th" in table and "Coverage" in table and label in table and "full month" in table
    # The chart: the month on the axis and in the tooltip.
    spec = json.loads(re.search(r'<script id="trend-spec" type="application/json">(.*?)</script>', page, re.S)[1])  # type: ignore[index]
    months = {v["month"] for v in spec["data"]["values"]}
    assert months == {"2026-02 (partial)", "2026-03", "2026-04"}
    assert {"field": "coverage", "title": "Coverage"} in spec["encoding"]["tooltip"]


def test_a_period_of_full_months_carries_no_partial_label(client, history: History, analyst) -> None:  # type: ignore[no-untyped-def]
    aggregates.refresh()
    client.force_login(analyst)
    page = client.get(reverse("reports:dashboard") + "?start=2026-03&end=2026-04").content.decode()
    assert 'id="partial-months"' not in page and '(partial)"' not in page  # no month so marked in the chart
    r = client.get(reverse("reports:download", args=["summary", "csv"]) + "?start=2026-03&end=2026-04")
    assert "-partial" not in r["Content-Disposition"]


def test_downloads_label_the_partial_month(client, history: History, analyst) -> None:  # type: ignore[no-untyped-def]
    import openpyxl
    import pyarrow.parquet as pq

    aggregates.refresh()
    client.force_login(analyst)
    query = "?start=2026-02&end=2026-03"
    label = f"partial: the record starts {RECORD_STARTS:%Y-%m-%d}"
    r = client.get(reverse("reports:download", args=["monthly", "csv"]) + query)
    assert "holdtrack-monthly-issue-2026-02-2026-03-partial.csv" in r["Content-Disposition"]
    rows = {row["month"]: row["coverage"] for row in csv.DictReader(io.StringIO(r.content.decode()))}
    assert rows == {"2026-02": label, "2026-03": "full month"}
    # Every table's download says the period is partial: in its name, and in its header lines or metadata.
    summary = client.get(reverse("reports:download", args=["summary", "xlsx"]) + query)
    assert "-partial.xlsx" in summary["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(summary.content)).active
    assert ws is not None and any(label in str(c.value) for c in ws["A"][:5])
    pt = pq.read_table(io.BytesIO(client.get(reverse("reports:download", args=["summary", "parquet"]) + query).content))
    assert label in pt.schema.metadata[b"filters"].decode()


def test_the_trend_table_has_one_row_per_month_with_its_coverage(history: History) -> None:
    aggregates.refresh()
    t = aggregates.trend(Filters(start=date(2026, 1, 1), end=date(2026, 3, 1)))
    assert [(r["month"], r["coverage"]) for r in t.rows] == [
        ("2026-01", "no data: before the record starts"),
        ("2026-02", f"partial: the record starts {RECORD_STARTS:%Y-%m-%d}"),
        ("2026-03", "full month"),
    ]
    assert t.notes and t.notes[0].startswith("Partial months in this period")


def test_a_declined_report_for_a_week_not_over_says_it_is_partial(history: History) -> None:
    from holdtrack.reports import declined

    whole = declined.build("2026-W10", at=T0 + timedelta(days=30))
    assert whole.partial == "" and whole.file_stem == "holdtrack-declined-2026-W10"
    assert not any("partial" in note for note in whole.fidelity)
    midweek = declined.build("2026-W10", at=T0 + timedelta(days=2))  # Wednesday of that week
    assert midweek.partial == "partial week: data to 2026-03-04 15:00 UTC only, the week is not over"
    assert midweek.file_stem == "holdtrack-declined-2026-W10-partial"
    assert midweek.fidelity[0].startswith("This is a partial week")
    assert midweek.partial in declined.to_html(midweek)
