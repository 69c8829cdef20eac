"""The hold-impact page with data in it (distribution chart, breakdowns, regression): zero axe violations and
no Content-Security-Policy violation when it is loaded under the site's policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from holdtrack.accounts.models import Role
from holdtrack.custody.ingest import bookings_import
from tests.custody.test_ingest import HEADER, _row, _write
from tests.e2e.conftest import Sessions
from tests.e2e.test_accessibility import readable, run_axe
from tests.factories import UserFactory, make_world

pytestmark = pytest.mark.e2e


def _feed(tmp_path: Path) -> None:
    w = make_world()
    lines = [HEADER]
    for i in range(60):
        hold = i % 4 == 0
        days = 2 + (i % 9) + (10 if hold else 0)  # released by 30 March
        lines.append(
            _row(
                w,
                f"E{i}",
                charge_type=("drug", "property", "violent")[i % 3],
                immigration_hold="1" if hold else "0",
                sex="F" if i % 5 == 0 else "M",
                booked_at="2026-03-10T08:00:00-05:00",
                released_at=f"2026-03-{10 + days:02d}T08:00:00-05:00",
                release_eligible_at="",
                release_eligibility_reason="",
            )
        )
    assert bookings_import(path=_write(tmp_path, "feed.csv", lines)).run is not None


def test_hold_impact_page_is_accessible_and_csp_clean(
    browser: Any, live_server: Any, transactional_db: Any, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    _feed(tmp_path)
    import statsmodels.formula.api  # noqa: F401  # its first import takes seconds: not within the page's timeout

    analyst = UserFactory(role=Role.ANALYST)

    enforced = Sessions(browser, live_server.url)
    try:
        page = enforced.page_for(analyst)
        console: list[str] = []
        page.on("console", lambda msg: console.append(f"{msg.text} @ {msg.location}") if msg.type == "error" else None)
        response = page.goto("/reports/hold-impact/")
        assert response is not None and response.status == 200
        page.wait_for_load_state("networkidle")
        assert page.locator("svg.ht-dist rect.ht-dist__bar--hold").count() > 0
        assert page.locator("#table-regression table tbody tr").count() > 1
        assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m], console
        assert not page.js_errors, page.js_errors
    finally:
        enforced.close()

    checked = Sessions(browser, live_server.url, bypass_csp=True)  # axe is injected as a script
    try:
        page = checked.page_for(UserFactory(role=Role.AUDITOR))  # another user: a TOTP code is accepted once
        page.goto("/reports/hold-impact/")
        page.wait_for_load_state("networkidle")
        result = run_axe(page)
        assert not result["violations"], readable("hold-impact", page.url, result["violations"])
    finally:
        checked.close()
