"""In-app and e-mail notifications.

Event-driven ones (a detainer transmitted to an LEA, a citizenship claim opened) are created by the step
handlers of ``desks.on_steps`` (``kernel.dispatch``) inside the transaction that logged the step, so they exist
exactly when the step does; their e-mail leaves after commit. Time-based ones (hold ending, subpoena return date, court comply-by date)
come from :func:`notify_deadlines`, run by a periodic task. Every notification carries a unique dedupe key,
so re-running either path creates nothing new.

Recipients are the active users of the addressed organization with the roles listed per kind, kept only if
the case access functions let them see the case. Titles and bodies name cases by kind and id, never a person:
the case page behind the link applies the access rules and writes the access event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from holdtrack.accounts.models import OrgKind, Role, User
from holdtrack.accounts.scope import AnyUser
from holdtrack.cases import access, clocks
from holdtrack.cases.models import (
    OPEN_LEA_STATES,
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    Subpoena,
    SubpoenaState,
)
from holdtrack.core.rows import insert_row, statement
from holdtrack.core.timeutil import local, now
from holdtrack.desks.models import Notification, NotificationKind
from holdtrack.kernel.parties import authorize

log = logging.getLogger(__name__)

# Days before a return or comply-by date at which a reminder goes out (T-5, T-2, T-0).
REMINDER_DAYS = (5, 2, 0)

LEA_STAFF = (Role.LEA_BOOKING, Role.LEA_COUNSEL)
AGENCY_CASE_ROLES = (Role.AGENCY_OFFICER, Role.AGENCY_SUPERVISOR)


def hold_notice_hours() -> int:
    return int(getattr(settings, "HOLDTRACK_NOTIFY_HOLD_HOURS", 6))


# ------------------------------------------------------------------------------------------ creating


@dataclass(frozen=True)
class Draft:
    kind: str
    title: str
    body: str
    link: str
    key: str  # the occasion; the recipient id is appended


def notification_create(*, recipient: User, draft: Draft, at: datetime | None = None) -> Notification | None:
    """Create one notification unless its dedupe key exists. Returns the new row, or ``None`` if it existed."""
    key = f"{draft.key}:u{recipient.pk}"
    if Notification.objects.filter(dedupe_key=key).exists():
        return None
    return _insert(recipient, draft, key, at)


def _insert(recipient: User, draft: Draft, key: str, at: datetime | None) -> Notification | None:
    try:
        with transaction.atomic():  # savepoint: a concurrent duplicate must not spoil the caller's transaction
            return insert_row(  # Notification.objects.create, its INSERT built once (core.rows)
                Notification(
                    recipient=recipient,
                    kind=draft.kind,
                    title=draft.title[:200],
                    body=draft.body,
                    link=draft.link[:200],
                    created_at=at or now(),
                    dedupe_key=key,
                )
            )
    except IntegrityError:
        return None


def _send(draft_recipients: Iterable[tuple[User, Draft]], at: datetime | None = None) -> list[Notification]:
    pairs = [(user, d, f"{d.key}:u{user.pk}") for user, d in draft_recipients]
    if not pairs:
        return []
    # The keys that exist already (a re-run), in one query rather than one per recipient.
    existing = set(
        Notification.objects.filter(dedupe_key__in=[k for *_, k in pairs]).values_list("dedupe_key", flat=True)
    )
    created = [n for user, d, k in pairs if k not in existing and (n := _insert(user, d, k, at))]
    # Only rows with an address are e-mailed (notifications_email_pending); none: nothing to send after commit.
    if any(n.recipient.email for n in created):
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: notifications_email_pending(ids=ids))
    return created


def notifications_email_pending(*, ids: list[int] | None = None) -> int:
    """E-mail the notifications not yet e-mailed (all, or those in ``ids``). Each row is claimed by setting
    ``emailed_at`` before sending, so two workers never send the same one; a failed send releases it."""
    qs = Notification.objects.filter(emailed_at__isnull=True).exclude(recipient__email="")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    sent = 0
    base = str(getattr(settings, "HOLDTRACK_BASE_URL", "")).rstrip("/")
    for n in qs.select_related("recipient").order_by("pk"):
        if not Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(emailed_at=now()):
            continue
        body = n.body + (f"\n\nOpen: {base}{n.link}" if n.link else "")
        try:
            send_mail(
                subject=f"[holdtrack] {n.title}",
                message=body,
                from_email=None,
                recipient_list=[n.recipient.email],
            )
        except Exception:  # a mail outage must not stop the others; the row is retried on the next run
            log.exception("notification %s: e-mail failed", n.pk)
            Notification.objects.filter(pk=n.pk).update(emailed_at=None)
            continue
        sent += 1
    return sent


# ---------------------------------------------------------------------------------------- recipients


def _users(org_q: Q, roles: Iterable[str]) -> QuerySet[User]:
    # With the organisation: the access functions read it for every candidate.
    return (
        User.objects.filter(is_active=True, role__in=list(roles))
        .filter(org_q)
        .select_related("organization")
        .order_by("pk")
    )


def _visible(users: Iterable[User], scoped: Callable[[Any], QuerySet[Any]], pk: int) -> list[User]:
    """Keep the users who may see the case: the access functions decide, not this module. They scope by a
    user's role and organisation (cases/access.py), so they are asked once per (role, organisation, active)."""
    seen: dict[tuple[str, int | None, bool], bool] = {}
    out = []
    for u in users:
        key = (str(u.role), u.organization_id, bool(u.is_active))
        if key not in seen:
            seen[key] = scoped(u).filter(pk=pk).exists()
        if seen[key]:
            out.append(u)
    return out


def _lea_users(lea_id: int, roles: Iterable[str] = LEA_STAFF) -> QuerySet[User]:
    return _users(Q(organization__kind=OrgKind.LEA, organization__lea_id=lea_id), roles)


def _agency_users(aor_id: int | None, roles: Iterable[str] = AGENCY_CASE_ROLES) -> QuerySet[User]:
    if aor_id is None:
        return User.objects.none()
    return _users(Q(organization__kind=OrgKind.AGENCY_OFFICE, organization__aor_id=aor_id), roles)


def _doj_users(org_id: int) -> QuerySet[User]:
    return _users(Q(organization__kind=OrgKind.DOJ, organization_id=org_id), (Role.DOJ_ATTORNEY,))


# ------------------------------------------------------------------------------------ event-driven


def on_detainer_transmitted(detainer_id: int, at: datetime) -> list[Notification]:
    # Only the columns the message names: the whole row and its relations cost more than the rest of this.
    d = (
        Detainer.objects.select_related("issuing_office", "facility")
        .only("form_type", "addressed_lea", "issuing_office__name", "facility__timezone", "facility__code")
        .get(pk=detainer_id)
    )
    draft = Draft(
        NotificationKind.NEW_DETAINER,
        f"New detainer {d.pk} addressed to your agency",
        f"Detainer {d.pk} ({d.get_form_type_display()}) from {d.issuing_office.name} was transmitted at "
        f"{local(at, d.facility.timezone)} for facility {d.facility.code}. Acknowledge receipt on the case page.",
        f"/detainers/{d.pk}/",
        f"new_detainer:d{d.pk}",
    )
    users = _visible(_lea_users(d.addressed_lea_id), access.detainers_for_user, d.pk)
    return _send(((u, draft) for u in users), at)


def on_citizenship_claim_opened(claim_id: int, subject_id: int, at: datetime) -> list[Notification]:
    """Tell the parties of every open detainer on the subject: its hold is frozen while the claim is open."""
    open_states = [DetainerState.PREPARED, DetainerState.APPROVED, DetainerState.TRANSMITTED, *OPEN_LEA_STATES]
    pairs: list[tuple[User, Draft]] = []
    for d in Detainer.objects.filter(subject_id=subject_id, state__in=open_states).select_related("issuing_office"):
        draft = Draft(
            NotificationKind.CITIZENSHIP_CLAIM,
            f"Citizenship claim opened: detainer {d.pk}",
            f"A citizenship claim (record {claim_id}) was opened for the subject of detainer {d.pk}. "
            "No hold may run while it is open; review the case page.",
            f"/detainers/{d.pk}/",
            f"claim:c{claim_id}:d{d.pk}",
        )
        candidates = list(_agency_users(d.issuing_office.aor_id, (*AGENCY_CASE_ROLES, Role.AGENCY_COUNSEL)))
        candidates += list(_lea_users(d.addressed_lea_id))
        pairs += [(u, draft) for u in _visible(candidates, access.detainers_for_user, d.pk)]
    return _send(pairs, at)


# -------------------------------------------------------------------------------------- time-based


def _reminder_day(due_at: datetime, at: datetime, tz_name: str) -> int | None:
    """The latest reminder threshold crossed (in days before the due date, counted in the case's zone), or
    ``None`` when none is crossed yet or the date has passed. A run that missed a day sends only the latest."""
    if at > due_at:
        return None
    zone = ZoneInfo(tz_name)
    days_left = (due_at.astimezone(zone).date() - at.astimezone(zone).date()).days
    crossed = [t for t in REMINDER_DAYS if days_left <= t]
    return min(crossed) if crossed else None


def _due_soon(field: str, at: datetime) -> Q:
    """Narrow by the stored due date (set by the services from the same clock); the clock is then recomputed."""
    window = Q(
        **{f"{field}__gte": at - timedelta(days=1), f"{field}__lte": at + timedelta(days=max(REMINDER_DAYS) + 2)}
    )
    return window | Q(**{f"{field}__isnull": True})


def _when(days: int) -> str:
    return "today" if days == 0 else f"in {days} days"


def _hold_drafts(at: datetime) -> list[tuple[User, Draft]]:
    horizon = at + timedelta(hours=hold_notice_hours())
    pairs: list[tuple[User, Draft]] = []
    holds = Detainer.objects.filter(
        state=DetainerState.HOLD_IN_EFFECT,
        hold_ended_at__isnull=True,
        hold_expires_at__gt=at,
        hold_expires_at__lte=horizon,
    ).select_related("issuing_office", "facility")
    for d in holds:
        assert d.hold_expires_at is not None
        draft = Draft(
            NotificationKind.HOLD_ENDING,
            f"Hold on detainer {d.pk} ends at {local(d.hold_expires_at, d.facility.timezone)}",
            f"The hold ceiling of detainer {d.pk} is reached at {local(d.hold_expires_at, d.facility.timezone)} "
            f"(rule {d.hold_rule or clocks.R_HOLD_48H.ref}). Custody may not continue on the detainer after that.",
            f"/detainers/{d.pk}/",
            f"hold_ending:d{d.pk}:{d.hold_expires_at.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M}",
        )
        candidates = list(_lea_users(d.addressed_lea_id)) + list(_agency_users(d.issuing_office.aor_id))
        pairs += [(u, draft) for u in _visible(candidates, access.detainers_for_user, d.pk)]
    return pairs


def _subpoena_drafts(at: datetime) -> list[tuple[User, Draft]]:
    pairs: list[tuple[User, Draft]] = []
    open_subpoenas = (
        Subpoena.objects.filter(
            state__in=[SubpoenaState.SERVED, SubpoenaState.RESPONSE_DUE],
            served_at__isnull=False,
            responded_at__isnull=True,
        )
        .filter(_due_soon("return_due_at", at))
        .select_related("issuing_office", "recipient_lea__jurisdiction")
    )
    for s in open_subpoenas:
        for c in clocks.subpoena_clocks(s):
            tz = s.recipient_lea.jurisdiction.timezone
            day = _reminder_day(c.due_at, at, tz)
            if c.stopped_at is not None or day is None:
                continue
            draft = Draft(
                NotificationKind.SUBPOENA_RETURN,
                f"Subpoena {s.pk}: return date {_when(day)} ({local(c.due_at, tz)})",
                f"The return date of subpoena {s.pk} is {local(c.due_at, tz)}. {c.explanation}.",
                f"/subpoenas/{s.pk}/",
                f"subpoena_return:s{s.pk}:{c.due_at:%Y%m%d}:T-{day}",
            )
            candidates = list(_lea_users(s.recipient_lea_id, (Role.LEA_COUNSEL,)))
            candidates += list(_agency_users(s.issuing_office.aor_id))
            pairs += [(u, draft) for u in _visible(candidates, access.subpoenas_for_user, s.pk)]
    return pairs


def _court_drafts(at: datetime) -> list[tuple[User, Draft]]:
    pairs: list[tuple[User, Draft]] = []
    cases = (
        CourtCase.objects.filter(state__in=[CourtState.ENFORCED, CourtState.OBJECTION_OR_APPEAL])
        .filter(_due_soon("comply_by", at))
        .select_related("referral__subpoena__recipient_lea__jurisdiction", "referral__subpoena__issuing_office")
    )
    for case in cases:
        s = case.referral.subpoena
        tz = s.recipient_lea.jurisdiction.timezone
        for c in clocks.court_clocks(case):
            day = _reminder_day(c.due_at, at, tz)
            if c.stopped_at is not None or day is None:
                continue
            draft = Draft(
                NotificationKind.COMPLY_BY,
                f"{case.court} {case.case_number}: comply-by date {_when(day)} ({local(c.due_at, tz)})",
                f"The court's comply-by date in {case.court} {case.case_number} is {local(c.due_at, tz)}. "
                f"{c.explanation}.",
                f"/court-cases/{case.pk}/",
                f"comply_by:cc{case.pk}:{c.due_at:%Y%m%d}:T-{day}",
            )
            candidates = list(_lea_users(s.recipient_lea_id, (Role.LEA_COUNSEL,)))
            candidates += list(_doj_users(case.referral.doj_office_id))
            candidates += list(_agency_users(s.issuing_office.aor_id, (Role.AGENCY_COUNSEL, Role.AGENCY_SUPERVISOR)))
            pairs += [(u, draft) for u in _visible(candidates, access.court_cases_for_user, case.pk)]
    return pairs


def notify_deadlines(at: datetime | None = None) -> dict[str, int]:
    """The time-based notifications due at ``at``. Idempotent: a re-run creates nothing new."""
    at = at or now()
    counts: dict[str, int] = {}
    for name, build in (
        ("hold_ending", _hold_drafts),
        ("subpoena_return", _subpoena_drafts),
        ("comply_by", _court_drafts),
    ):
        with transaction.atomic():
            counts[name] = len(_send(build(at), at))
    counts["emailed"] = notifications_email_pending()
    return counts


# ------------------------------------------------------------------------------------------- reading


def notifications_for_user(user: AnyUser) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def notification_mark_read(*, actor: Any, pk: int | None = None, at: datetime | None = None) -> int:
    """Mark one (or, with ``pk=None``, every) unread notification of ``actor`` read; returns how many."""
    authorize(actor, "notification_mark_read")
    qs = notifications_for_user(actor).filter(read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=at or now())


def unread_count(request: HttpRequest) -> dict[str, int]:
    """Context processor: the number of unread notifications for the header."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {"unread_notifications": 0}
    # Compiled once (core.rows.statement): every page's header asks it.
    sql, params = statement(
        ("desks.unread_notifications",),
        lambda pk: Notification.objects.filter(recipient_id=pk, read_at__isnull=True).values("pk"),
        user.pk,
    )
    with connections[router.db_for_read(Notification)].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)  # noqa: S608 - Django's own compilation
        row = cursor.fetchone()
    return {"unread_notifications": int(row[0]) if row else 0}
