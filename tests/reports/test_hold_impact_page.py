"""``/reports/hold-impact/``: the hold-impact report as a page (filters, table, chart spec, access)."""

from __future__ import annotations

import json

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
    # (number, charge type, hold, released at): days in custody from 2026-03-02 08:00 -06:00
    for number, charge, hold, released in (
        ("H1", "drug", "1", "2026-03-12T08:00:00-06:00"),  # 10 days
        ("H2", "drug", "1", "2026-03-22T08:00:00-06:00"),  # 20 days
        ("H3", "property", "1", "2026-04-01T09:00:00-05:00"),  # 30 days (DST began)
        ("N1", "drug", "0", "2026-03-04T08:00:00-06:00"),  # 2 days
        ("N2", "property", "0", "2026-03-06T08:00:00-06:00"),  # 4 days
        ("N3", "property", "0", "2026-03-08T08:00:00-06:00"),  # 6 days
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


def _spec(page: str) -> dict:
    start = page.index('<script id="hold-impact-spec" type="application/json">') + len(
        '<script id="hold-impact-spec" type="application/json">'
    )
    return json.loads(page[start : page.index("</script>", start)])


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
    spec = _spec(page)
    assert {(v["charge_type"], v["group"], v["median_days"]) for v in spec["data"]["values"]} >= {
        ("all charges", "With an immigration hold", 20.0),
        ("drug", "With an immigration hold", 15.0),
        ("property", "Without a hold", 5.0),
    }
    assert 'data-vega-spec="hold-impact-spec"' in page and "vendor/vega/vega-embed.min.js" in page


def test_filters_change_the_numbers(client, feed) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.AGENCY_OFFICER, organization=feed.officer.organization))
    drug = client.get(URL, {"charge_type": "drug"}).content.decode()
    assert '<td class="num">2</td><td class="num">15.00</td><td class="num">15.00</td>' in drug
    assert '<td class="num">1</td><td class="num">2.00</td><td class="num">2.00</td>' in drug
    assert '<th scope="row">property</th>' not in drug
    no_drug = client.get(URL, {"exclude_charge_type": "drug"}).content.decode()
    assert '<th scope="row">drug</th>' not in no_drug and '<th scope="row">property</th>' in no_drug
    assert _spec(no_drug)["data"]["values"][0] == {
        "charge_type": "all charges",
        "group": "With an immigration hold",
        "median_days": hold_impact(exclude_charge_types=["drug"])["hold"]["median_days"],
    }
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
