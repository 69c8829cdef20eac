"""The deadline calendar: the clocks of the cases a user may see, as dated entries.

Deadlines are the clocks of ``cases.clocks`` (hold ceiling, advance-notice target, neutral review, release
after bond, subpoena return date, court comply-by date), each with its rule id. Nothing is stored: the
calendar and the iCalendar feed are recomputed from the recorded events on every request. Entries carry case
kinds and ids, never a person's name, so showing them writes no access event; the case page does.
"""

from __future__ import annotations

import calendar as pycal
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.accounts.scope import AnyUser
from holdtrack.audit.models import CaseType
from holdtrack.cases import access, clocks
from holdtrack.cases.models import TERMINAL_STATES, CourtState, DetainerState, SubpoenaState
from holdtrack.core.timeutil import local, now
from holdtrack.desks.models import CalendarFeedToken
from holdtrack.kernel.parties import authorize

CASE_LABELS: dict[str, str] = {
    CaseType.DETAINER: "Detainer",
    CaseType.SUBPOENA: "Subpoena",
    CaseType.COURT_CASE: "Court case",
}
CASE_PATHS: dict[str, str] = {
    CaseType.DETAINER: "/detainers/{}/",
    CaseType.SUBPOENA: "/subpoenas/{}/",
    CaseType.COURT_CASE: "/court-cases/{}/",
}
STATUS_LABELS = {"running": "Running", "expired": "Time is up", "met": "Met", "missed": "Missed"}
# Cases whose clocks no longer matter to anyone's diary.
_CLOSED_DETAINER = [*TERMINAL_STATES, DetainerState.CLOSED]
_CLOSED_SUBPOENA = [SubpoenaState.CLOSED, SubpoenaState.WITHDRAWN, SubpoenaState.DRAFT, SubpoenaState.ISSUED]
_CLOSED_COURT = [CourtState.CLOSED, CourtState.DISMISSED, CourtState.DENIED]


@dataclass(frozen=True)
class Deadline:
    case_type: str
    case_id: int
    clock: str
    label: str
    starts_at: datetime
    due_at: datetime
    rule: str
    explanation: str
    status: str
    tz: str

    @property
    def uid(self) -> str:
        """Stable per case and clock, so a calendar client updates the event instead of adding one."""
        return f"{self.case_type}-{self.case_id}-{self.clock}@holdtrack"

    @property
    def case_label(self) -> str:
        return f"{CASE_LABELS[self.case_type]} {self.case_id}"

    @property
    def summary(self) -> str:
        return f"{self.label}: {self.case_label}"

    @property
    def path(self) -> str:
        return CASE_PATHS[self.case_type].format(self.case_id)

    @property
    def local_due(self) -> str:
        return local(self.due_at, self.tz)

    @property
    def local_date(self) -> date:
        return self.due_at.astimezone(ZoneInfo(self.tz)).date()

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def _deadline(case_type: str, case_id: int, c: clocks.Clock, tz: str, at: datetime) -> Deadline:
    return Deadline(case_type, case_id, c.name, c.label, c.starts_at, c.due_at, c.rule, c.explanation, c.status(at), tz)


def deadlines_for_user(
    user: AnyUser, *, start: datetime | None = None, end: datetime | None = None, at: datetime | None = None
) -> list[Deadline]:
    """Deadlines due in ``[start, end)`` on the open cases the user may see, soonest first."""
    at = at or now()
    out: list[Deadline] = []
    detainers = (
        access.detainers_for_user(user).exclude(state__in=_CLOSED_DETAINER).select_related("facility", "booking")
    )
    for d in detainers:
        out += [_deadline(CaseType.DETAINER, d.pk, c, d.facility.timezone, at) for c in clocks.detainer_clocks(d)]
    subpoenas = (
        access.subpoenas_for_user(user)
        .exclude(state__in=_CLOSED_SUBPOENA)
        .filter(served_at__isnull=False)
        .select_related("recipient_lea__jurisdiction")
    )
    for s in subpoenas:
        tz = s.recipient_lea.jurisdiction.timezone
        out += [_deadline(CaseType.SUBPOENA, s.pk, c, tz, at) for c in clocks.subpoena_clocks(s)]
    cases = (
        access.court_cases_for_user(user)
        .exclude(state__in=_CLOSED_COURT)
        .select_related("referral__subpoena__recipient_lea__jurisdiction")
    )
    for cc in cases:
        tz = cc.referral.subpoena.recipient_lea.jurisdiction.timezone
        out += [_deadline(CaseType.COURT_CASE, cc.pk, c, tz, at) for c in clocks.court_clocks(cc)]
    if start is not None:
        out = [d for d in out if d.due_at >= start]
    if end is not None:
        out = [d for d in out if d.due_at < end]
    return sorted(out, key=lambda d: (d.due_at, d.case_type, d.case_id, d.clock))


# --------------------------------------------------------------------------------------- month grid


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    deadlines: list[Deadline]


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Day]]
    deadlines: list[Deadline]

    @property
    def prev(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


def parse_month(value: str | None, today: date) -> date:
    """``YYYY-MM`` to the first of that month; anything else gives the current month."""
    try:
        year, month = (int(p) for p in (value or "").split("-", 1))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def month_for_user(user: AnyUser, first: date, *, at: datetime | None = None) -> Month:
    """A Monday-first month grid; each deadline sits on its date in the case's own zone."""
    utc = ZoneInfo("UTC")
    # A day's margin either side: a deadline's local date may differ from its UTC date.
    start = datetime.combine(first, datetime.min.time(), tzinfo=utc) - timedelta(days=1)
    after = (first + timedelta(days=32)).replace(day=1)
    end = datetime.combine(after, datetime.min.time(), tzinfo=utc) + timedelta(days=1)
    items = [d for d in deadlines_for_user(user, start=start, end=end, at=at) if d.local_date.month == first.month]
    by_day: dict[date, list[Deadline]] = {}
    for d in items:
        by_day.setdefault(d.local_date, []).append(d)
    weeks = [
        [Day(day, day.month == first.month, by_day.get(day, [])) for day in week]
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    return Month(first, weeks, items)


# ------------------------------------------------------------------------------------------ feed token


def feed_token_active(user: AnyUser) -> CalendarFeedToken | None:
    if not isinstance(user, User):  # an anonymous visitor holds no token
        return None
    return CalendarFeedToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).order_by("-pk").first()


def feed_token_rotate(*, actor: Any) -> CalendarFeedToken:
    """Revoke the user's current feed token (if any) and issue a new one."""
    authorize(actor, "feed_token_rotate")
    at = now()
    with transaction.atomic():
        CalendarFeedToken.objects.filter(user_id=actor.pk, revoked_at__isnull=True).update(revoked_at=at)
        return CalendarFeedToken.objects.create(user=actor, token=secrets.token_urlsafe(32), created_at=at)


def feed_token_revoke(*, actor: Any) -> int:
    authorize(actor, "feed_token_revoke")
    return CalendarFeedToken.objects.filter(user_id=actor.pk, revoked_at__isnull=True).update(revoked_at=now())


def feed_user(token: str) -> User | None:
    """The active user behind an active token, or ``None`` (the view answers 404 alike)."""
    row = (
        CalendarFeedToken.objects.filter(token=token, revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    return row.user if row is not None else None
