"""``/reports/hold-impact/``: the hold-impact report as a page (filters, table, chart spec, access)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.custody.ingest import bookings_import
from holdtrack.reports.hold_impact import hold_impact
from tests.custody.test_ingest import HEADER, _row, _write
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/reports/hold-impact/"


@pytest.fixture
def feed(world, tmp_path):  # type: ignore[no-untyped-def]
    lines = [HEADER]
    # (number, charge type, hold, released at): days in custody from 2026-03-02 08:00 -06:00, on the jail's wall
    # clock (America/Chicago: daylight time from 8 March)
    for number, charge, hold, released in (
        ("H1", "drug", "1", "2026-03-12T08:00:00-05:00"),  # 10 days
        ("H2", "drug", "1", "2026-03-22T08:00:00-05:00"),  # 20 days
        ("H3", "property", "1", "2026-04-01T08:00:00-05:00"),  # 30 days
        ("N1", "drug", "0", "2026-03-04T08:00:00-06:00"),  # 2 days
        ("N2", "property", "0", "2026-03-06T08:00:00-06:00"),  # 4 days
        ("N3", "property", "0", "2026-03-08T08:00:00-05:00"),  # 6 days
    ):
        lines.append(
            _row(
                world,
                number,
                charge_type=charge,
                immigration_hold=hold,
                released_at=released,
                release_eligible_at="",
                release_eligibility_reason="",
            )
        )
    assert bookings_import(path=_write(tmp_path, "feed.csv", lines)).run is not None
    return world


def test_page_shows_counts_means_medians_and_a_chart(client, feed) -> None:  # type: ignore[no-untyped-def]
    assert reverse("reports:hold-impact") == URL
    client.force_login(UserFactory(role=Role.ANALYST))
    r = client.get(URL)
    assert r.status_code == 200
    page = r.content.decode()
    assert "Time in custody with and without an immigration hold" in page
    # Overall: hold 3 bookings, mean 20, median 20; no hold 3, mean 4, median 4.
    assert '<th scope="row">All charge types</th>' in page
    assert '<td class="num">3</td><td class="num">20.00</td><td class="num">20.00</td>' in page
    assert '<td class="num">3</td><td class="num">4.00</td><td class="num">4.00</td>' in page
    # The median chart is server-side SVG (no script: vega-embed's inline styles broke the CSP).
    for title in (
        "all charges, with a hold: median 20.0 days",
        "drug, with a hold: median 15.0 days",
        "property, without a hold: median 5.0 days",
    ):
        assert f"<title>{title}</title>" in page
    assert "vega" not in page and "<script" not in page.split("</footer>")[0].split("<main")[-1]


def test_filters_change_the_numbers(client, feed) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.AGENCY_OFFICER, organization=feed.officer.organization))
    drug = client.get(URL, {"charge_type": "drug"}).content.decode()
    assert '<td class="num">2</td><td class="num">15.00</td><td class="num">15.00</td>' in drug
    assert '<td class="num">1</td><td class="num">2.00</td><td class="num">2.00</td>' in drug
    assert '<th scope="row">property</th>' not in drug
    no_drug = client.get(URL, {"exclude_charge_type": "drug"}).content.decode()
    assert '<th scope="row">drug</th>' not in no_drug and '<th scope="row">property</th>' in no_drug
    median = hold_impact(exclude_charge_types=["drug"])["hold"]["median_days"]
    assert f"<title>all charges, with a hold: median {median:,.1f} days</title>" in no_drug
    # Released on or before 2026-03-12: H1 and the three without a hold.
    early = client.get(URL, {"to": "2026-03-12"}).content.decode()
    assert '<td class="num">1</td><td class="num">10.00</td><td class="num">10.00</td>' in early
    bad = client.get(URL, {"from": "last week"})
    assert bad.status_code == 200 and "is not a date (YYYY-MM-DD)" in bad.content.decode()


def test_access_is_for_the_report_roles(client, feed) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 302  # sign in first
    client.force_login(feed.booking_clerk)  # an LEA's booking clerk does not see aggregate reports
    assert client.get(URL).status_code == 403
    client.force_login(UserFactory(role=Role.AUDITOR))
    assert client.get(URL).status_code == 200


@pytest.fixture
def larger_feed(world, tmp_path):  # type: ignore[no-untyped-def]
    """40 bookings: hold ones stay longer; enough for the regression and for cells above the threshold."""
    lines = [HEADER]
    for i in range(40):
        hold = i % 4 == 0
        days = 3 + (i % 7) + (12 if hold else 0)
        lines.append(
            _row(
                world,
                f"L{i}",
                charge_type=("drug", "property", "violent")[i % 3],
                immigration_hold="1" if hold else "0",
                sex="F" if i % 5 == 0 else "M",
                booked_at="2026-03-10T08:00:00-05:00",
                released_at=f"2026-03-{10 + days:02d}T08:00:00-05:00",
                release_eligible_at="",
                release_eligibility_reason="",
            )
        )
    assert bookings_import(path=_write(tmp_path, "larger.csv", lines)).run is not None
    return world


def test_page_grows_distribution_breakdowns_and_regression(client, larger_feed) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.ANALYST))
    page = client.get(URL).content.decode()
    # The distribution as server-side SVG: no inline style, no script of its own; bars for both groups.
    start = page.index('aria-labelledby="dist-title dist-desc"')
    svg = page[start : page.index("</svg>", start)]
    assert "style=" not in svg and "ht-dist__bar--hold" in svg and "ht-dist__bar--no_hold" in svg
    assert "of bookings with a hold</title>" in svg
    # Breakdowns: 10 hold bookings (under no threshold) and 30 without; the 2 women with a hold are suppressed.
    assert 'id="table-sex"' in page and 'id="table-charge-count"' in page and 'id="table-pr"' in page
    sex = page[page.index('id="table-sex"') : page.index("</section>", page.index('id="table-sex"'))]
    assert "no value" in sex  # the suppressed cells
    assert ">2<" not in sex
    # The regression: estimated, with its multiplier, interval, n and adjusted R², and the caveat.
    reg = page[page.index('id="table-regression"') :]
    assert "times</strong> as long" in reg and "n = 40 bookings" in reg and "adjusted R²" in reg
    assert "<code>hold</code>" in reg and "not show that the hold caused" in reg
    # Every table downloads in the three formats, with the page's filters.
    assert (
        "/reports/hold-impact/download/sex.csv" in page and "/reports/hold-impact/download/regression.parquet" in page
    )


def test_downloads_carry_the_published_tables(client, larger_feed) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io as _io

    import pyarrow.parquet as pq

    client.force_login(UserFactory(role=Role.AUDITOR))
    r = client.get("/reports/hold-impact/download/days.csv", {"exclude_charge_type": "violent"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(_io.StringIO(r.content.decode())))
    assert [row["charge_type"] for row in rows] == ["drug", "property", "All charge types"]  # the page's filter
    rows = list(csv.DictReader(_io.StringIO(client.get("/reports/hold-impact/download/sex.csv").content.decode())))
    published = [int(row[k]) for row in rows for k in ("hold_bookings", "no_hold_bookings") if row[k]]
    assert published and all(n >= 10 for n in published)  # small cells suppressed in the downloads too
    r = client.get("/reports/hold-impact/download/regression.parquet")
    table = pq.read_table(_io.BytesIO(r.content))
    assert "hold" in table.column("term").to_pylist()
    r = client.get("/reports/hold-impact/download/days.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert client.get("/reports/hold-impact/download/nothing.csv").status_code == 404
    assert client.get("/reports/hold-impact/download/sex.pdf").status_code == 404


def test_page_without_feed_bookings(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.ANALYST))
    page = client.get(URL).content.decode()
    assert "Not estimated: no released bookings in this selection." in page
    assert 'aria-labelledby="dist-title dist-desc"' in page
    assert "<title>all charges" not in page  # no bars without bookings
