"""What a case page shows, built from a case the caller already obtained through ``cases.access``.

Nothing here decides who may see what: these helpers turn an authorized case into rows for the templates
(timeline from the transition log, clocks with their explanations, documents with their hashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from holdtrack.accounts.models import Role
from holdtrack.audit.export import recorded_text
from holdtrack.audit.models import CaseType, Channel, Transition
from holdtrack.cases.clocks import Clock
from holdtrack.cases.models import CourtState, DetainerState, ReferralState, SubpoenaState
from holdtrack.core.rows import read_all
from holdtrack.core.timeutil import iso, local
from holdtrack.custody.identity import person_subject_ids
from holdtrack.custody.models import ClaimStatus, IdentityLink, MatchStatus, Subject
from holdtrack.documents.models import Document

STATE_LABELS: dict[str, dict[str, str]] = {
    CaseType.DETAINER: dict(DetainerState.choices),
    CaseType.SUBPOENA: dict(SubpoenaState.choices),
    CaseType.REFERRAL: dict(ReferralState.choices),
    CaseType.COURT_CASE: dict(CourtState.choices),
    CaseType.BOOKING: {"IN_CUSTODY": "In custody", "RELEASED": "Released"},
    CaseType.IDENTITY_MATCH: dict(MatchStatus.choices),
    CaseType.CITIZENSHIP_CLAIM: dict(ClaimStatus.choices),
}
RECORD_LABELS: dict[str, str] = {
    CaseType.DETAINER: "Detainer",
    CaseType.SUBPOENA: "Subpoena",
    CaseType.REFERRAL: "Referral",
    CaseType.COURT_CASE: "Court case",
    CaseType.BOOKING: "Booking",
    CaseType.IDENTITY_MATCH: "Identity match",
    CaseType.CITIZENSHIP_CLAIM: "Citizenship claim",
}
ROLE_LABELS: dict[str, str] = dict(Role.choices)
CHANNEL_LABELS: dict[str, str] = dict(Channel.choices)
CLOCK_STATUS_LABELS = {
    "running": "Running",
    "expired": "Time is up",
    "met": "Met",
    "missed": "Missed",
}


def iso_z(value: datetime | None) -> str | None:
    """UTC instant for a ``<time datetime>`` attribute, to the second: ``2026-03-04T15:00:00Z``."""
    if value is None:
        return None
    return iso(value.replace(microsecond=0))


def state_label(case_type: str, state: str) -> str:
    if not state:
        return "(new record)"
    return STATE_LABELS.get(case_type, {}).get(state, state.replace("_", " ").capitalize())


def humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()


def duration_text(delta: timedelta) -> str:
    """Compact, unambiguous: ``2 days 3 h``, ``5 h 07 min``, ``12 min``. Same wording as countdown.js."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days >= 3:
        return f"{days} days {hours} h"
    hours += days * 24
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def remaining_text(due: datetime, now: datetime) -> str:
    delta = due - now
    if delta.total_seconds() >= 0:
        return f"{duration_text(delta)} left"
    return f"passed {duration_text(delta)} ago"


# -------------------------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    at_iso: str | None
    when: str
    record: str
    actor_role: str
    action: str
    source: str
    target: str
    changed_state: bool
    reason: str
    channel: str
    recorded: str = ""  # "recorded by <org> staff from <document>" for a step the counterpart recorded


def timeline(records: list[tuple[str, int]], tz_name: str) -> list[TimelineEntry]:
    """The transition log of one or more records (a detainer and its booking, a subpoena and its referral),
    oldest first, each time shown in ``tz_name`` with the zone abbreviation."""
    if not records:
        return []
    types = tuple(case_type for case_type, _ in records)

    def build(*ids: int) -> QuerySet[Transition]:
        query = Q()
        for case_type, case_id in zip(types, ids, strict=True):
            query |= Q(case_type=case_type, case_id=case_id)
        return (
            Transition.objects.filter(query).select_related("actor__organization").order_by("at", "recorded_at", "id")
        )

    # Compiled once per set of record types (core.rows, ADR 0037): every case page shows a timeline.
    rows = read_all(("desks.timeline", types), build, *(case_id for _, case_id in records))
    entries: list[TimelineEntry] = []
    for t in rows:
        entries.append(
            TimelineEntry(
                at=t.at,
                at_iso=iso_z(t.at),
                when=local(t.at, tz_name),
                record=RECORD_LABELS.get(t.case_type, humanize(t.case_type)),
                actor_role=ROLE_LABELS.get(t.actor_role, t.actor_role or "—"),
                action=humanize(t.name),
                source=state_label(t.case_type, t.source),
                target=state_label(t.case_type, t.target),
                changed_state=t.source != t.target,
                reason=t.reason,
                channel="" if t.channel == Channel.PORTAL else CHANNEL_LABELS.get(t.channel, t.channel),
                recorded=recorded_text(t),
            )
        )
    return entries


# ---------------------------------------------------------------------------------------------- clocks


@dataclass(frozen=True)
class ClockView:
    name: str
    label: str
    status: str
    status_label: str
    starts: str
    due: str
    due_iso: str | None
    remaining: str
    stopped: str
    rule: str
    explanation: str
    counting: bool


def clock_views(clocks: list[Clock], tz_name: str, now: datetime) -> list[ClockView]:
    views = []
    for c in clocks:
        status = c.status(now)
        views.append(
            ClockView(
                name=c.name,
                label=c.label,
                status=status,
                status_label=CLOCK_STATUS_LABELS.get(status, status),
                starts=local(c.starts_at, tz_name),
                due=local(c.due_at, tz_name),
                due_iso=iso_z(c.due_at),
                remaining=remaining_text(c.due_at, now),
                stopped=local(c.stopped_at, tz_name) if c.stopped_at else "",
                rule=c.rule,
                explanation=c.explanation,
                counting=c.stopped_at is None,
            )
        )
    return views


# ------------------------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class DocumentRow:
    pk: int
    title: str
    kind: str
    version: int
    content_type: str
    size: int
    sha256: str
    uploaded: str
    language: str


def documents(case_type: str, case_id: int, tz_name: str) -> list[DocumentRow]:
    rows = read_all(
        ("desks.documents", case_type),
        lambda key: Document.objects.filter(case_type=case_type, case_id=key).order_by("uploaded_at", "id"),
        case_id,
    )
    return [
        DocumentRow(
            pk=doc.pk,
            title=doc.title,
            kind=doc.get_kind_display(),
            version=doc.version,
            content_type=doc.content_type,
            size=doc.size,
            sha256=doc.sha256,
            uploaded=local(doc.uploaded_at, tz_name),
            language=doc.language,
        )
        for doc in rows
    ]


# -------------------------------------------------------------------------------------- local law shown


@dataclass(frozen=True)
class PolicyHitRow:
    moment: str
    rule_id: str
    citation: str
    effect: str


def policy_hits(snapshots: list[tuple[str, dict]]) -> list[PolicyHitRow]:
    """The rules that applied, from the evaluations stored on the case (at preparation, at the decision)."""
    rows = []
    for moment, snapshot in snapshots:
        for hit in (snapshot or {}).get("hits", []):
            rows.append(
                PolicyHitRow(
                    moment=moment,
                    rule_id=str(hit.get("rule_id", "")),
                    citation=str(hit.get("citation", "")),
                    effect=str(hit.get("effect", "")),
                )
            )
    return rows


def person_text(subject: Subject, booked_subject_id: int | None = None) -> str:
    """The records of the person a subject belongs to, by kind and id only: the names of records met through
    other agencies' bookings are not shown here (ADR 0014)."""

    ids = person_subject_ids(subject.pk, person_id=subject.person_id)
    if len(ids) == 1:
        return "This record alone (linked to no other record)"
    booked = set(
        IdentityLink.objects.filter(undone_at__isnull=True, booked_subject_id__in=ids).values_list(
            "booked_subject_id", flat=True
        )
    )
    parts = []
    for sid in ids:
        kind = "booked record" if sid in booked else "registry record"
        mark = " (this booking)" if sid == booked_subject_id else ""
        parts.append(f"{kind} {sid}{mark}")
    return f"One person across {len(ids)} records: " + ", ".join(parts)
