"""Authorization matrix: every role × every page and API endpoint → allowed or denied as designed.

The table ``EXPECT`` has one row per named URL pattern of ``config.urls`` (found by walking the resolver, so the
API under /api/v1/ and the reports are included). ``test_every_url_has_an_expectation`` fails when a URL is
added without a row here, and when a row names a URL that no longer exists.

Each row says, for the record it points at (objects of world ``w``, built through the services), which roles get
which answer, and ``cross`` points the same URL at the record of another area of responsibility, another LEA
and another DOJ office (world ``x``): every role gets 404 there — missing and forbidden look alike — and a
write must not write anything. Signed-in users come from ``client.force_login``, which the conftest turns into a
completed sign-in with the second factor; the two-step flow itself is tested in tests/accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from holdtrack.accounts.models import Role
from holdtrack.audit.models import AuditEvent, Transition
from tests.factories import (
    T0,
    UserFactory,
    World,
    hold_eligible,
    make_world,
    other_aor_world,
    subpoena_to,
)

# ------------------------------------------------------------------------------------------------ who

ANON = "anonymous"
AGENCY = frozenset({"officer", "supervisor", "agency_counsel"})
LEA = frozenset({"lea_booking", "lea_counsel"})
DOJ = frozenset({"doj_attorney"})
CASE = AGENCY | LEA | DOJ  # roles that see personal data, scoped by organization
NO_ORG = frozenset({"analyst", "auditor", "admin"})  # no organization: no personal data, no API session
STAFF = CASE | NO_ORG
WHO = (ANON, *sorted(STAFF))
REPORTS = AGENCY | NO_ORG  # holdtrack.reports.views.REPORT_ROLES
AUDIT = frozenset({"auditor", "admin"})  # holdtrack.cases.access.AUDIT_READER_ROLES
OFFICERS = frozenset({"officer", "supervisor"})
MODEL_PAGE = frozenset({"supervisor", "auditor", "admin"})  # holdtrack.desks.tools.screening_models

# Expected answers: a status code, or one of these.
LOGIN = "login"  # 302 to the sign-in page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's sign-in page
REDIRECT = "redirect"  # any 302
NOT_2XX = "not-2xx"  # refused one way or another


@dataclass
class Scene:
    w: World
    x: World  # another AOR, LEA and DOJ office
    users: dict[str, Any]
    ids: dict[str, Any]


@dataclass(frozen=True)
class Row:
    """What one URL answers. ``ok`` roles get ``ok_status`` on ``w``'s record; other signed-in roles get
    ``denied``; anonymous visitors get ``anon``; ``cross`` (kwargs for ``x``'s record) → 404 for everyone."""

    kwargs: Callable[[Scene], dict[str, Any]] = lambda s: {}
    ok: frozenset[str] = frozenset()
    ok_status: int | str = 200
    denied: int | str = 404
    anon: int | str = LOGIN
    method: str = "GET"
    query: str = ""
    cross: Callable[[Scene], dict[str, Any]] | None = None
    cross_status: int | tuple[int, ...] = 404
    # An access event (action) must be written when an ``ok`` role reads the page.
    access_event: str | None = None
    # Per-role overrides of the above (for the few pages whose answer differs within a group).
    special: dict[str, int | str] = field(default_factory=dict)

    def expected(self, who: str) -> int | str:
        if who in self.special:
            return self.special[who]
        if who == ANON:
            return self.anon
        return self.ok_status if who in self.ok else self.denied


def _pk(key: str) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {"pk": s.ids[key]}


def _x_pk(key: str) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {"pk": s.ids["x_" + key]}


def _kw(name: str, key: str) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {name: s.ids[key]}


def _x_kw(name: str, key: str) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {name: s.ids["x_" + key]}


def _const(**kwargs: Any) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: kwargs


MISSING = 987654321  # an id no record has: the answer must equal that for a forbidden one

# API (ninja) with the browser session: a user of an organization holds the scopes of its kind
# (holdtrack.api.services.SCOPES_BY_KIND); users without an organization are not API principals (401).
# Scope refused → 403 before any lookup; a record out of scope or missing → 404.
API_LEA = frozenset({"bookings", "detainers", "subpoenas", "court", "claims", "common"})
API_AGENCY = frozenset({"bookings", "detainers", "subpoenas", "court", "matches", "claims", "common"})
API_DOJ = frozenset({"detainers", "subpoenas", "court", "common"})


def _api_scoped(area: str) -> frozenset[str]:
    roles: set[str] = set()
    if area in API_LEA:
        roles |= LEA
    if area in API_AGENCY:
        roles |= AGENCY
    if area in API_DOJ:
        roles |= DOJ
    return frozenset(roles)


def api_read(area: str, kwargs: Callable[[Scene], dict[str, Any]] | None = None, **extra: Any) -> Row:
    """An API read: 200 for organizations holding the scope, 403 for those that do not, 401 otherwise."""
    scoped = _api_scoped(area)
    special: dict[str, int | str] = {who: 403 for who in CASE - scoped}
    special |= {who: 401 for who in NO_ORG}
    special |= extra.pop("special", {})
    return Row(kwargs=kwargs or _const(), ok=scoped, anon=401, special=special, **extra)


def api_write(area: str, kwargs: Callable[[Scene], dict[str, Any]], cross: Callable[[Scene], dict[str, Any]]) -> Row:
    """An API action. The matrix checks who may not act: anonymous → 401, no organization → 401, no scope →
    403; and nobody acts on another organization's record (no 2xx, nothing written). Acting within scope with a
    valid body is the API tests' job; here an empty body is refused (422) or the record/guard answers."""
    scoped = _api_scoped(area)
    # Without the scope: refused — 403, or 422 first when ninja validates the (empty) body before the handler.
    special: dict[str, int | str] = {who: NOT_2XX for who in CASE - scoped}
    special |= {who: 401 for who in NO_ORG}
    return Row(
        kwargs=kwargs,
        ok=scoped,
        ok_status="not-2xx-or-any",
        anon=401,
        method="POST",
        special=special,
        cross=cross,
        cross_status=(401, 403, 404, 409, 422),
    )


# ------------------------------------------------------------------------------------------------ the table

EXPECT: dict[str, Row] = {
    # ---- open
    "healthz": Row(ok=STAFF, ok_status=200, anon=200),
    "login": Row(ok=STAFF, anon=200),
    "logout": Row(method="POST", ok=STAFF, ok_status=REDIRECT, anon=REDIRECT),
    # ---- account pages (second factor)
    "accounts:setup": Row(ok=STAFF),  # enrolled and verified: the status page
    "accounts:verify": Row(ok=STAFF, ok_status=REDIRECT),  # already verified: straight on
    "accounts:backup_codes": Row(method="POST", ok=STAFF),
    # ---- desks: dashboard for every role; case pages only within scope; a match only for the agency's AOR
    "desks:dashboard": Row(ok=STAFF),
    "desks:detainer": Row(kwargs=_pk("detainer"), ok=CASE, cross=_x_pk("detainer"), access_event="detainer.view"),
    "desks:subpoena": Row(kwargs=_pk("subpoena"), ok=CASE, cross=_x_pk("subpoena"), access_event="subpoena.view"),
    "desks:court_case": Row(
        kwargs=_pk("court_case"), ok=CASE, cross=_x_pk("court_case"), access_event="court_case.view"
    ),
    "desks:match": Row(kwargs=_pk("match"), ok=AGENCY, cross=_x_pk("match"), access_event="identity_match.view"),
    # Actions are POST forms; a record out of scope is 404 before any guard or form is looked at.
    "desks:case_action": Row(
        kwargs=lambda s: {"kind": "detainer", "pk": s.ids["detainer"], "key": "lift"},
        method="POST",
        ok=CASE,
        ok_status="not-2xx-or-any",
        cross=lambda s: {"kind": "detainer", "pk": s.ids["x_detainer"], "key": "lift"},
        cross_status=404,
    ),
    "desks:document_download": Row(kwargs=_const(pk=MISSING), ok=frozenset(), denied=404),
    "desks:document_preview": Row(
        kwargs=lambda s: {"kind": "DETAINER_FORM", "case_type": "detainer", "case_id": s.ids["detainer"]},
        ok=CASE,
        cross=lambda s: {"kind": "DETAINER_FORM", "case_type": "detainer", "case_id": s.ids["x_detainer"]},
        access_event="detainer.document_preview",
    ),
    # A delivery link with a token that fits no delivery: a clear 400 to anyone signed in.
    "desks:document_ack": Row(kwargs=_const(token="not-a-token"), ok=STAFF, ok_status=400),
    # ---- desk tools
    # Search finds subjects by name: roles with personal data only.
    "tools:search": Row(ok=CASE, denied=403, query="?q=Test"),
    "tools:calendar": Row(ok=STAFF),
    "tools:calendar_feed_manage": Row(method="POST", ok=STAFF, ok_status=REDIRECT),
    "tools:calendar_feed": Row(kwargs=_const(token="not-a-token"), ok=STAFF, ok_status=404, anon=404),
    "tools:notifications": Row(ok=STAFF),
    # Marks only the signer's own notifications; an id that is not theirs marks nothing and goes back.
    "tools:notification_read": Row(kwargs=_const(pk=MISSING), method="POST", ok=STAFF, ok_status=REDIRECT),
    "tools:notifications_read_all": Row(method="POST", ok=STAFF, ok_status=REDIRECT),
    "tools:audit": Row(ok=AUDIT, denied=403),
    "tools:audit_export": Row(ok=AUDIT, denied=403),
    # The screening model page: parameters and counts, no personal data; supervisors, auditors, administrators.
    "tools:screening_models": Row(ok=MODEL_PAGE, denied=403),
    "tools:screening_model": Row(kwargs=_const(pk=MISSING), ok=MODEL_PAGE, ok_status=404, denied=403),
    # ---- internal reports: aggregates for analysts, auditors, administrators and agency users
    "reports:dashboard": Row(ok=REPORTS, denied=403),
    "reports:download": Row(kwargs=_const(table="summary", fmt="csv"), ok=REPORTS, denied=403),
    "reports:declined": Row(ok=REPORTS, denied=403),
    "reports:hold-impact": Row(ok=REPORTS, denied=403),
    "reports:hold-impact-download": Row(kwargs=_const(table="sex", fmt="csv"), ok=REPORTS, denied=403),
    # ---- public statistics: everyone, no sign-in
    "public:index": Row(ok=STAFF, anon=200),
    "public:changelog": Row(ok=STAFF, anon=200),
    "public:snapshot": Row(kwargs=_const(version=MISSING), ok=STAFF, ok_status=404, anon=404),
    "public:codebook": Row(kwargs=_const(version=MISSING), ok=STAFF, ok_status=404, anon=404),
    "public:snapshot_json": Row(kwargs=_const(version=MISSING), ok=STAFF, ok_status=404, anon=404),
    "public:table_csv": Row(kwargs=_const(version=MISSING, table="detainers"), ok=STAFF, ok_status=404, anon=404),
    # ---- REST API v1 (tokens for systems; the browser session for the docs page)
    # ninja answers its bare root with 404 (no index outside DEBUG); the docs are openapi-view.
    "api-v1:api-root": Row(ok=STAFF, ok_status=404, anon=404),
    "api-v1:openapi-json": Row(ok=STAFF, anon=200),
    "api-v1:openapi-view": Row(ok=STAFF, anon=200),
    "api-v1:detainers_list": api_read("detainers"),
    "api-v1:detainers_detail": api_read(
        "detainers",
        _kw("detainer_id", "detainer"),
        cross=_x_kw("detainer_id", "detainer"),
        access_event="detainer.view",
    ),
    "api-v1:subpoenas_list": api_read("subpoenas"),
    "api-v1:subpoenas_detail": api_read(
        "subpoenas",
        _kw("subpoena_id", "subpoena"),
        cross=_x_kw("subpoena_id", "subpoena"),
        access_event="subpoena.view",
    ),
    "api-v1:referrals_list": api_read("subpoenas"),
    "api-v1:referrals_detail": api_read(
        "subpoenas", _kw("referral_id", "referral"), cross=_x_kw("referral_id", "referral")
    ),
    "api-v1:court_cases_list": api_read("court"),
    "api-v1:court_cases_detail": api_read(
        "court", _kw("case_id", "court_case"), cross=_x_kw("case_id", "court_case"), access_event="court_case.view"
    ),
    "api-v1:bookings_list": api_read("bookings"),
    "api-v1:bookings_detail": api_read(
        "bookings",
        lambda s: {"agency": s.ids["ori"], "booking_number": s.ids["booking_number"]},
        cross=lambda s: {"agency": s.ids["x_ori"], "booking_number": s.ids["x_booking_number"]},
    ),
    "api-v1:matches_list": api_read("matches"),
    "api-v1:matches_detail": api_read(
        "matches", _kw("match_id", "match"), cross=_x_kw("match_id", "match"), access_event="identity_match.view"
    ),
    "api-v1:claims_list": api_read("claims"),
    "api-v1:claims_detail": api_read("claims", _const(claim_id=MISSING), ok_status=404),
    "api-v1:subjects_detail": api_read(
        "common", _kw("subject_id", "subject"), cross=_x_kw("subject_id", "subject"), access_event="subject.view"
    ),
    "api-v1:work_items_list": api_read("common"),
    "api-v1:agencies_list": api_read("common"),
    "api-v1:facilities_list": api_read("common"),
    "api-v1:endpoints_list": api_read("common"),
    "api-v1:deliveries_list": api_read("common"),
    "api-v1:detainers_prepare": api_write("detainers", _const(), _const()),
    "api-v1:subpoenas_draft": api_write("subpoenas", _const(), _const()),
    "api-v1:claims_open": api_write("claims", _const(), _const()),
    "api-v1:endpoints_create": api_write("common", _const(), _const()),
    "api-v1:endpoints_deactivate": api_write("common", _const(endpoint_id=MISSING), _const(endpoint_id=MISSING)),
    "api-v1:claims_resolve": api_write("claims", _const(claim_id=MISSING), _const(claim_id=MISSING)),
    "api-v1:bookings_create": api_write("bookings", _const(), _const()),
    "api-v1:bookings_release_eligibility": api_write(
        "bookings",
        lambda s: {"agency": s.ids["ori"], "booking_number": s.ids["booking_number"]},
        lambda s: {"agency": s.ids["x_ori"], "booking_number": s.ids["x_booking_number"]},
    ),
    "api-v1:bookings_release": api_write(
        "bookings",
        lambda s: {"agency": s.ids["ori"], "booking_number": s.ids["booking_number"]},
        lambda s: {"agency": s.ids["x_ori"], "booking_number": s.ids["x_booking_number"]},
    ),
    "api-v1:bookings_transfer": api_write(
        "bookings",
        lambda s: {"agency": s.ids["ori"], "booking_number": s.ids["booking_number"]},
        lambda s: {"agency": s.ids["x_ori"], "booking_number": s.ids["x_booking_number"]},
    ),
    "api-v1:matches_review": api_write("matches", _kw("match_id", "match"), _x_kw("match_id", "match")),
    "api-v1:matches_revoke": api_write("matches", _kw("match_id", "match"), _x_kw("match_id", "match")),
    "api-v1:court_petition": api_write("court", _kw("referral_id", "referral"), _x_kw("referral_id", "referral")),
    "api-v1:referrals_decline": api_write(
        "subpoenas", _kw("referral_id", "referral"), _x_kw("referral_id", "referral")
    ),
    **{
        f"api-v1:detainers_{action}": api_write(
            "detainers", _kw("detainer_id", "detainer"), _x_kw("detainer_id", "detainer")
        )
        for action in (
            "warrant",
            "approve",
            "transmit",
            "receive",
            "revalidate",
            "serve_subject",
            "decide",
            "lift",
            "neutral_review",
            "transfer_custody",
            "notify",
        )
    },
    # A warrant id that no detainer of the caller holds answers like a missing detainer.
    "api-v1:detainers_warrant_confirm": api_write(
        "detainers",
        lambda s: {"detainer_id": s.ids["detainer"], "warrant_id": MISSING},
        lambda s: {"detainer_id": s.ids["x_detainer"], "warrant_id": MISSING},
    ),
    **{
        f"api-v1:subpoenas_{action}": api_write(
            "subpoenas", _kw("subpoena_id", "subpoena"), _x_kw("subpoena_id", "subpoena")
        )
        for action in ("issue", "serve", "acknowledge", "respond", "refer", "withdraw")
    },
    **{
        f"api-v1:court_{action}": api_write("court", _kw("case_id", "court_case"), _x_kw("case_id", "court_case"))
        for action in ("order", "advance", "compliance")
    },
}

# The admin site: every one of its URLs is for administrators only; checked on a few representative pages.
ADMIN_NAMESPACE = "admin:"
ADMIN_SAMPLES = ("admin:index", "admin:accounts_user_changelist", "admin:otp_totp_totpdevice_changelist")


# ------------------------------------------------------------------------------------------------ resolver


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str | None, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            yield (f"{ns}{p.name}" if p.name else None), prefix + str(p.pattern)


def url_names() -> dict[str, str]:
    """Every named URL of the project → its route; unnamed non-admin routes are reported by the test."""
    names: dict[str, str] = {}
    unnamed: list[str] = []
    for name, route in _walk(get_resolver().url_patterns):
        if name is None:
            if not route.startswith("admin/"):
                unnamed.append(route)
            continue
        names[name] = route
    if unnamed:
        names.update({f"<unnamed>{r}": r for r in unnamed})
    return names


def test_every_url_has_an_expectation():
    names = url_names()
    missing = sorted(n for n in names if n not in EXPECT and not n.startswith(ADMIN_NAMESPACE))
    stale = sorted(n for n in EXPECT if n not in names)
    lines = []
    if missing:
        lines.append(
            "These URLs have no row in EXPECT (tests/test_authorization_matrix.py). Add one per URL saying which "
            "roles may reach it and what everyone else gets (for a page about one record, also `cross=` pointing "
            "at another organization's record), e.g.\n"
            '    "desks:detainer": Row(kwargs=_pk("detainer"), ok=CASE, cross=_x_pk("detainer")),\n'
            "Unnamed routes need a name first."
        )
        lines += [f"  - {n}  (/{names[n]})" for n in missing]
    if stale:
        lines.append("These rows name URLs that no longer exist; remove them:")
        lines += [f"  - {n}" for n in stale]
    assert not lines, "\n".join(lines)
    for sample in ADMIN_SAMPLES:
        assert sample in names, sample


# ------------------------------------------------------------------------------------------------ scene


@pytest.fixture
def scene(db) -> Scene:
    from holdtrack.cases.models import CourtCase

    w = make_world()
    x = other_aor_world()
    ids: dict[str, Any] = {}
    for prefix, world in (("", w), ("x_", x)):
        d = hold_eligible(world)
        s = subpoena_to(world, stage="enforced", detainer=d, at=T0 + timedelta(days=3))
        court_case = CourtCase.objects.get(referral__subpoena=s)
        ids |= {
            f"{prefix}detainer": d.pk,
            f"{prefix}subpoena": s.pk,
            f"{prefix}referral": s.referral.pk,
            f"{prefix}court_case": court_case.pk,
            f"{prefix}match": d.identity_match_id,
            f"{prefix}subject": d.subject_id,
            f"{prefix}ori": world.lea.ori,
            f"{prefix}booking_number": d.booking.booking_number,
        }
    users = {
        "officer": w.officer,
        "supervisor": w.supervisor,
        "agency_counsel": w.agency_counsel,
        "doj_attorney": w.doj_attorney,
        "lea_booking": w.booking_clerk,
        "lea_counsel": w.lea_counsel,
        "analyst": UserFactory(role=Role.ANALYST, organization=None),
        "auditor": UserFactory(role=Role.AUDITOR, organization=None),
        "admin": UserFactory(role=Role.ADMIN, organization=None, is_staff=True, is_superuser=True),
    }
    return Scene(w=w, x=x, users=users, ids=ids)


def _post(client: Any, url: str) -> Any:
    if url.startswith("/api/"):
        return client.post(url, data={}, content_type="application/json")
    return client.post(url, data={})


def _matches(response: Any, expected: int | str) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response.url.startswith(reverse("login"))
    if expected == ADMIN_LOGIN:
        return response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    if expected == REDIRECT:
        return response.status_code == 302
    if expected == NOT_2XX:
        return not 200 <= response.status_code < 300
    if expected == "not-2xx-or-any":
        return True  # acting within scope is tested by the app's own tests
    return response.status_code == expected


@pytest.mark.parametrize("who", WHO)
def test_role_matrix(client, scene, who):
    """Every URL of the table for one role; every mismatch is reported at once."""
    names = url_names()
    user = scene.users.get(who)
    if user is not None:
        client.force_login(user)
    problems: list[str] = []
    for name, row in sorted(EXPECT.items()):
        if name not in names:
            continue  # reported by test_every_url_has_an_expectation
        url = reverse(name, kwargs=row.kwargs(scene) or None) + row.query
        expected = row.expected(who)
        before = AuditEvent.objects.filter(action=row.access_event or "-").count()
        response = _post(client, url) if row.method == "POST" else client.get(url)
        if not _matches(response, expected):
            where = getattr(response, "url", "")
            problems.append(f"{name} {row.method} {url}: expected {expected}, got {response.status_code} {where}")
        elif row.access_event and user is not None and response.status_code == 200:
            after = AuditEvent.objects.filter(action=row.access_event, actor=user).order_by("-id").first()
            if after is None or AuditEvent.objects.filter(action=row.access_event).count() != before + 1:
                problems.append(f"{name}: read by {who} without an access event {row.access_event!r}")
            elif after.actor_role != user.role:
                problems.append(f"{name}: access event without the reader's role")
        if row.method == "POST" and user is not None:
            client.force_login(user)  # a sign-out row ends the session; keep going as the same user
        if row.cross is not None:
            cross_url = reverse(name, kwargs=row.cross(scene) or None)
            transitions = Transition.objects.count()
            got = _post(client, cross_url) if row.method == "POST" else client.get(cross_url)
            allowed = row.cross_status if isinstance(row.cross_status, tuple) else (row.cross_status,)
            if isinstance(row.special.get(who), int):
                allowed = (row.special[who],)  # not a principal (401) or no scope (403): the same for any record
            if who == ANON:
                allowed = (*allowed, 302, 401)  # not signed in: sent to sign in first
            if got.status_code not in allowed:
                problems.append(
                    f"{name} {row.method} {cross_url} (another organization's record): expected "
                    f"{' or '.join(map(str, allowed))}, got {got.status_code}"
                )
            if Transition.objects.count() != transitions:
                problems.append(f"{name} {cross_url}: a write on another organization's record changed a case")
    assert not problems, f"{who}:\n" + "\n".join(problems)


@pytest.mark.parametrize("who", WHO)
def test_admin_site_is_for_administrators_only(client, scene, who):
    user = scene.users.get(who)
    if user is not None:
        client.force_login(user)
    for name in ADMIN_SAMPLES:
        response = client.get(reverse(name))
        if who == "admin":
            assert response.status_code == 200, name
        else:
            assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), (who, name)
