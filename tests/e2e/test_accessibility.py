"""axe-core (vendored, 4.x) on every page of a maintained URL list: zero WCAG 2.0/2.1/2.2 A and AA violations.

``PAGES`` is the list: (name, role, url builder). Add a page here when you add one to the site. Every page is
checked with its action panels opened, so the forms are checked too. "Needs review" results are not failures
(anchors.md 1.4: separate them from violations); they are printed for a manual check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from holdtrack.accounts.models import Role
from holdtrack.audit.models import Channel
from holdtrack.cases.models import CourtCase, Detainer, Subpoena
from holdtrack.cases.services import detainers as ds
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.models import IdentityMatch, MatchBasis
from holdtrack.jurisdictions.models import HoldRule
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.services import screening_model_store
from tests.e2e.conftest import PASSWORD, Sessions, prepare_account, screenshot
from tests.factories import (
    UserFactory,
    World,
    book,
    hold_eligible,
    make_policy,
    make_world,
    other_aor_world,
    prepared,
    received,
    registry_subject,
    subpoena_to,
)
from tests.screening.factories_screening import plain_model

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AXE_JS = Path(__file__).resolve().parents[2] / "src/holdtrack/desks/static/vendor/axe/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Scene:
    w: World
    other: World  # another area of responsibility, with no local law against holds
    analyst: Any
    auditor: Any
    admin: Any
    match: IdentityMatch
    d_prepared: Detainer
    d_hold: Detainer
    d_review: Detainer
    d_recorded: Detainer  # served, as the issuing office's staff recorded it from the jail's document
    s_due: Subpoena
    s_court: Subpoena
    court_case: CourtCase
    model: ScreeningModel


def build_scene() -> Scene:
    w = make_world()
    make_policy(w.lea.jurisdiction, "notify-only", hold=HoldRule.NEVER)
    b = book(w, at=now() - timedelta(hours=3))
    match = cs.identity_match_propose(
        actor=w.officer,
        booking=b,
        subject=b.subject,
        basis=MatchBasis.BIOGRAPHIC,
        score=0.93,
        model_version="splink-demo-1",
        explanation={"name": "exact", "date_of_birth": "transposed day and month"},
    )
    # a namesake proposed for the same booking: the match page lists it
    cs.identity_match_propose(
        actor=w.officer,
        booking=b,
        subject=registry_subject(w, first_name=b.subject.first_name, last_name=b.subject.last_name),
        basis=MatchBasis.BIOGRAPHIC,
        score=0.41,
        model_version="splink-demo-1",
    )
    other = other_aor_world()
    d_hold = hold_eligible(other, at=now() - timedelta(hours=5))
    cs.booking_record_release_eligibility(
        actor=other.booking_clerk, booking=d_hold.booking, at=now() - timedelta(hours=1), reason="BOND_POSTED"
    )
    d_hold.refresh_from_db()
    s_court = subpoena_to(w, stage="enforced", detainer=received(w, at=now() - timedelta(days=2)))
    return Scene(
        w=w,
        other=other,
        analyst=UserFactory(role=Role.ANALYST),
        auditor=UserFactory(role=Role.AUDITOR),
        admin=UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        match=match,
        d_prepared=prepared(w, at=now() - timedelta(hours=2)),
        d_hold=d_hold,
        d_review=received(w, at=now() - timedelta(hours=2)),
        d_recorded=_served_from_the_jails_document(w),
        s_due=subpoena_to(w, stage="acknowledged", subject=b.subject, at=now() - timedelta(days=1)),
        s_court=s_court,
        court_case=CourtCase.objects.get(referral__subpoena=s_court),
        model=_two_model_versions(w),
    )


def _served_from_the_jails_document(w: World) -> Detainer:
    d = received(w, at=now() - timedelta(hours=2))
    ds.detainer_serve_subject(
        actor=w.officer, detainer=d, channel=Channel.STAFF_RECORDED, source_document="Jail proof of service 12"
    )
    return d


def _two_model_versions(w: World) -> ScreeningModel:
    """The second of two stored versions: its page shows the shadow figures of both."""
    screening_model_store(actor=w.supervisor, splink_model=plain_model(), version="fs-axe-1", registry_size=1000)
    return screening_model_store(actor=w.supervisor, splink_model=plain_model(), version="fs-axe-2", registry_size=1000)


# (name, who, url): ``who`` is a Scene attribute path ("w.officer") or None for a visitor.
PAGES: list[tuple[str, str | None, Callable[[Scene], str]]] = [
    ("login", None, lambda s: "/login/"),
    ("public-index", None, lambda s: "/public/"),
    ("public-changelog", None, lambda s: "/public/changelog/"),
    ("dashboard-agency-officer", "w.officer", lambda s: "/"),
    ("dashboard-agency-supervisor", "w.supervisor", lambda s: "/"),
    ("dashboard-agency-counsel", "w.agency_counsel", lambda s: "/"),
    ("dashboard-doj-attorney", "w.doj_attorney", lambda s: "/"),
    ("dashboard-lea-booking", "w.booking_clerk", lambda s: "/"),
    ("dashboard-lea-counsel", "w.lea_counsel", lambda s: "/"),
    ("dashboard-analyst", "analyst", lambda s: "/"),
    ("dashboard-auditor", "auditor", lambda s: "/"),
    ("dashboard-admin", "admin", lambda s: "/"),
    ("match-review", "w.officer", lambda s: f"/matches/{s.match.pk}/"),
    ("detainer-prepared-officer", "w.officer", lambda s: f"/detainers/{s.d_prepared.pk}/"),
    ("detainer-prepared-supervisor", "w.supervisor", lambda s: f"/detainers/{s.d_prepared.pk}/"),
    ("detainer-policy-review", "w.lea_counsel", lambda s: f"/detainers/{s.d_review.pk}/"),
    # The issuing office records the LEA's acts from its documents; the timeline marks the recorded step.
    ("detainer-recorded-by-office", "w.officer", lambda s: f"/detainers/{s.d_review.pk}/"),
    ("detainer-recorded-step", "w.officer", lambda s: f"/detainers/{s.d_recorded.pk}/"),
    ("detainer-hold-in-effect", "other.booking_clerk", lambda s: f"/detainers/{s.d_hold.pk}/"),
    ("subpoena-to-answer", "w.lea_counsel", lambda s: f"/subpoenas/{s.s_due.pk}/"),
    ("subpoena-in-court", "w.doj_attorney", lambda s: f"/subpoenas/{s.s_court.pk}/"),
    ("court-case", "w.doj_attorney", lambda s: f"/court-cases/{s.court_case.pk}/"),
    ("court-case-lea", "w.lea_counsel", lambda s: f"/court-cases/{s.court_case.pk}/"),
    ("reports", "analyst", lambda s: "/reports/"),
    ("reports-declined", "analyst", lambda s: "/reports/declined/"),
    ("reports-hold-impact", "analyst", lambda s: "/reports/hold-impact/"),
    ("tools-search", "w.officer", lambda s: "/tools/search/"),
    ("tools-calendar", "w.officer", lambda s: "/tools/calendar/"),
    ("tools-notifications", "w.booking_clerk", lambda s: "/tools/notifications/"),
    ("tools-audit", "auditor", lambda s: "/tools/audit/"),
    ("tools-screening-models", "w.supervisor", lambda s: "/tools/screening/models/"),
    ("tools-screening-model", "w.supervisor", lambda s: f"/tools/screening/models/{s.model.pk}/"),
]
SCREENSHOTS = {
    "dashboard-agency-officer",
    "dashboard-lea-booking",
    "match-review",
    "detainer-hold-in-effect",
    "subpoena-to-answer",
    "court-case",
    "reports",
    "tools-screening-model",
}


def run_axe(page: Any) -> dict[str, Any]:
    page.evaluate("document.querySelectorAll('details').forEach(function (d) { d.open = true; })")
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return {violations: r.violations, incomplete: r.incomplete.length}; }",
        TAGS,
    )


def readable(name: str, url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{name} ({url}):"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      at {json.dumps(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
            lines.append(f"         {node['html'][:160]}")
    return "\n".join(lines)


def _who(scene: Scene, path: str) -> Any:
    obj: Any = scene
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.fixture
def axe_sessions(browser: Any, live_server: Any, transactional_db: Any) -> Any:
    s = Sessions(browser, live_server.url, bypass_csp=True)
    yield s
    s.close()


def test_every_listed_page_has_no_axe_violations(axe_sessions: Sessions) -> None:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing at {AXE_JS}")
    scene = build_scene()
    failures: list[str] = []
    checked = 0
    visitor = axe_sessions.anonymous()

    def check(name: str, page: Any, url: str) -> None:
        nonlocal checked
        response = page.goto(url)
        assert response is not None and response.status < 400, f"{name}: {url} answered {response and response.status}"
        result = run_axe(page)
        checked += 1
        if result["violations"]:
            failures.append(readable(name, url, result["violations"]))
        if name in SCREENSHOTS:
            screenshot(page, name)

    for name, who, url_of in PAGES:
        page = visitor if who is None else axe_sessions.page_for(_who(scene, who))
        check(name, page, url_of(scene))

    # The second-factor pages, reached the way a user reaches them: enrolment for a new account, then
    # verification for an enrolled one.
    newcomer = UserFactory(role=Role.AGENCY_OFFICER, organization=scene.w.office)
    newcomer.set_password(PASSWORD)
    newcomer.save()
    page = axe_sessions.anonymous()
    _password_step(page, newcomer)
    if "/account/2fa/setup/" in page.url:
        check("account-2fa-setup", page, page.url.replace(axe_sessions.base_url, ""))
    enrolled = UserFactory(role=Role.LEA_BOOKING, organization=scene.w.lea_org)
    prepare_account(enrolled)
    page = axe_sessions.anonymous()
    _password_step(page, enrolled)
    if "/account/2fa/verify/" in page.url:
        check("account-2fa-verify", page, page.url.replace(axe_sessions.base_url, ""))

    # A refused action (error summary, kept input) and an invalid form (field errors).
    counsel = axe_sessions.page_for(scene.w.lea_counsel)
    counsel.goto(f"/detainers/{scene.d_review.pk}/")
    counsel.locator("#action-decide summary").click()
    counsel.locator("#id_decide_decision").select_option("HONOR_HOLD")
    counsel.locator("#action-decide button[type=submit]").click()
    counsel.wait_for_load_state()
    assert counsel.locator("#action-error").count() == 1
    result = run_axe(counsel)
    checked += 1
    if result["violations"]:
        failures.append(readable("detainer-refused-action", counsel.url, result["violations"]))
    officer = axe_sessions.page_for(scene.w.officer)
    officer.goto(f"/detainers/{scene.d_prepared.pk}/")
    officer.locator("#action-attach-warrant summary").click()
    officer.locator("#id_attach-warrant_signed_at").fill("")
    officer.locator("#action-attach-warrant button[type=submit]").click()
    officer.wait_for_load_state()
    assert officer.locator(".usa-error-message").count() >= 1
    result = run_axe(officer)
    checked += 1
    if result["violations"]:
        failures.append(readable("detainer-invalid-form", officer.url, result["violations"]))

    print(f"axe: {checked} pages checked with tags {', '.join(TAGS)}")
    assert not failures, "axe found violations:\n\n" + "\n\n".join(failures)


def _password_step(page: Any, user: Any) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.usa-form button[type=submit]")
    page.wait_for_load_state()


def test_the_axe_harness_reports_a_known_violation(axe_sessions: Sessions) -> None:
    """The check above can fail: an image without a text alternative is reported as ``image-alt``."""
    page = axe_sessions.anonymous()
    page.goto("/login/")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('img'))")
    result = run_axe(page)
    assert [v["id"] for v in result["violations"]] == ["image-alt"], readable(
        "login+img", "/login/", result["violations"]
    )
