"""The dashboard's queues, one set per role. Every queue starts from a ``cases.access`` query, so a queue can
only ever narrow what the user may see.

The full role desks (with actions) will replace these read-only queues; a desk adds its queues here by
extending ``QUEUE_BUILDERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.cases import access
from holdtrack.cases.models import (
    SUBPOENA_NONCOMPLIANT,
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    EnforcementReferral,
    ReferralState,
    Subpoena,
    SubpoenaState,
    WorkItem,
)
from holdtrack.core.timeutil import local
from holdtrack.desks.presenters import iso_z, remaining_text

ROW_LIMIT = 20
S = DetainerState
SS = SubpoenaState


@dataclass(frozen=True)
class Cell:
    text: str = ""
    href: str = ""
    # A due time: rendered as <time datetime=… data-countdown> and kept current by countdown.js.
    due_iso: str | None = None


@dataclass
class Queue:
    key: str
    title: str
    description: str
    count: int
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"q-{self.key}"

    @property
    def shown(self) -> int:
        return len(self.rows)


def _queue(
    key: str,
    title: str,
    description: str,
    qs: QuerySet[Any],
    columns: list[str],
    row: Callable[[Any], list[Cell]],
) -> Queue:
    count = qs.count()
    rows = [row(obj) for obj in qs[:ROW_LIMIT]] if count else []
    return Queue(key=key, title=title, description=description, count=count, columns=columns, rows=rows)


def _countdown(due: datetime | None, now: datetime) -> Cell:
    if due is None:
        return Cell("—")
    return Cell(remaining_text(due, now), due_iso=iso_z(due))


# -------------------------------------------------------------------------------------------- detainers


def _detainers(user: Any, *states: str) -> QuerySet[Detainer]:
    return (
        access.detainers_for_user(user).filter(state__in=states).select_related("facility", "addressed_lea", "booking")
    )


def _detainer_link(d: Detainer) -> Cell:
    return Cell(f"Detainer {d.pk}", href=reverse("desks:detainer", args=[d.pk]))


def _detainer_basic_row(d: Detainer, when: datetime | None) -> list[Cell]:
    tz = d.facility.timezone
    return [
        _detainer_link(d),
        Cell(d.booking.booking_number),
        Cell(f"{d.facility.name} ({d.facility.code})"),
        Cell(f"{d.addressed_lea.name} ({d.addressed_lea.ori})"),
        Cell(d.get_form_type_display().split(" ", 1)[0] + f" · {d.get_request_type_display().split(' (')[0]}"),
        Cell(local(when, tz)),
    ]


BASIC_COLUMNS = ["Case", "Booking", "Facility", "Law enforcement agency", "Form and request", "Since"]


def q_prepared(user: Any, now: datetime, *, key: str = "prepared", title: str = "") -> Queue:
    return _queue(
        key,
        title or "Prepared, awaiting supervisor approval",
        "Detainers prepared in your area of responsibility that a supervisor has not yet approved.",
        _detainers(user, S.PREPARED).order_by("prepared_at", "pk"),
        BASIC_COLUMNS,
        lambda d: _detainer_basic_row(d, d.prepared_at),
    )


def q_to_approve(user: Any, now: datetime) -> Queue:
    return q_prepared(user, now, key="to-approve", title="Detainers to approve")


def q_approved(user: Any, now: datetime) -> Queue:
    return _queue(
        "approved",
        "Approved, ready to transmit",
        "Detainers a supervisor approved that have not been sent to the law enforcement agency.",
        _detainers(user, S.APPROVED).order_by("approved_at", "pk"),
        BASIC_COLUMNS,
        lambda d: _detainer_basic_row(d, d.approved_at),
    )


def q_to_receive(user: Any, now: datetime) -> Queue:
    return _queue(
        "to-receive",
        "Transmitted, to receive",
        "Detainers sent to your agency that have not been marked as received.",
        _detainers(user, S.TRANSMITTED).order_by("transmitted_at", "pk"),
        BASIC_COLUMNS,
        lambda d: _detainer_basic_row(d, d.transmitted_at),
    )


def q_to_serve(user: Any, now: datetime) -> Queue:
    return _queue(
        "to-serve",
        "To serve on the subject",
        "Received detainers whose copy has not yet been served on the subject.",
        _detainers(user, S.RECEIVED, S.UNDER_POLICY_REVIEW)
        .filter(served_at__isnull=True)
        .order_by("received_at", "pk"),
        BASIC_COLUMNS,
        lambda d: _detainer_basic_row(d, d.received_at),
    )


def q_policy_review(user: Any, now: datetime) -> Queue:
    return _queue(
        "policy-review",
        "Under policy review",
        "Detainers waiting for a decision under local law: honor the hold, notify only, or decline.",
        _detainers(user, S.UNDER_POLICY_REVIEW).order_by("received_at", "pk"),
        BASIC_COLUMNS,
        lambda d: _detainer_basic_row(d, d.received_at),
    )


def q_active(user: Any, now: datetime) -> Queue:
    return _queue(
        "active",
        "Active detainers: release eligibility to record",
        "Decided detainers on subjects still in custody. Recording release eligibility (bond, dismissal, sentence "
        "served) starts any hold ceiling.",
        _detainers(user, S.ACTIVE_HOLD_ELIGIBLE, S.ACTIVE_NOTIFY_ONLY)
        .filter(booking__release_eligible_at__isnull=True)
        .order_by("decided_at", "pk"),
        BASIC_COLUMNS,
        lambda d: _detainer_basic_row(d, d.decided_at),
    )


def q_holds(user: Any, now: datetime) -> Queue:
    def row(d: Detainer) -> list[Cell]:
        tz = d.facility.timezone
        return [
            _detainer_link(d),
            Cell(d.booking.booking_number),
            Cell(f"{d.facility.name} ({d.facility.code})"),
            Cell(f"{d.addressed_lea.name} ({d.addressed_lea.ori})"),
            Cell(local(d.hold_expires_at, tz)),
            _countdown(d.hold_expires_at, now),
        ]

    return _queue(
        "holds",
        "Holds in effect",
        "Subjects held on a detainer. Each hold ends at its ceiling; the time left is shown.",
        _detainers(user, S.HOLD_IN_EFFECT).order_by("hold_expires_at", "pk"),
        ["Case", "Booking", "Facility", "Law enforcement agency", "Hold ends", "Time remaining"],
        row,
    )


# -------------------------------------------------------------------------------------------- subpoenas


def _subpoenas(user: Any, *states: str) -> QuerySet[Subpoena]:
    return access.subpoenas_for_user(user).filter(state__in=states).select_related("recipient_lea__jurisdiction")


def _subpoena_row(s: Subpoena, when: datetime | None, now: datetime, *, countdown: bool = False) -> list[Cell]:
    tz = s.recipient_lea.jurisdiction.timezone
    cells = [
        Cell(f"Subpoena {s.pk}", href=reverse("desks:subpoena", args=[s.pk])),
        Cell(f"{s.recipient_lea.name} ({s.recipient_lea.ori})"),
        Cell(s.get_state_display()),
        Cell(local(when, tz)),
    ]
    if countdown:
        cells.append(_countdown(when, now))
    return cells


def q_to_sign(user: Any, now: datetime) -> Queue:
    return _queue(
        "to-sign",
        "Subpoenas to sign",
        "Draft administrative subpoenas waiting for an authorized official's signature.",
        _subpoenas(user, SS.DRAFT).order_by("drafted_at", "pk"),
        ["Case", "Recipient", "State", "Drafted"],
        lambda s: _subpoena_row(s, s.drafted_at, now),
    )


def q_to_refer(user: Any, now: datetime) -> Queue:
    return _queue(
        "to-refer",
        "Non-compliance to consider for referral",
        "Subpoenas answered in part, objected to, declined, or unanswered by the return date.",
        _subpoenas(user, *SUBPOENA_NONCOMPLIANT).order_by("return_due_at", "pk"),
        ["Case", "Recipient", "State", "Return date"],
        lambda s: _subpoena_row(s, s.return_due_at, now),
    )


def q_subpoenas_due(user: Any, now: datetime) -> Queue:
    return _queue(
        "subpoenas-due",
        "Subpoenas to answer",
        "Administrative subpoenas served on your agency, with their return dates. "
        "An administrative subpoena is not a court order.",
        _subpoenas(user, SS.SERVED, SS.RESPONSE_DUE).order_by("return_due_at", "pk"),
        ["Case", "Recipient", "State", "Return date", "Time remaining"],
        lambda s: _subpoena_row(s, s.return_due_at, now, countdown=True),
    )


# ---------------------------------------------------------------------------------- referrals and court


def q_referrals(user: Any, now: datetime) -> Queue:
    def row(r: EnforcementReferral) -> list[Cell]:
        tz = r.subpoena.recipient_lea.jurisdiction.timezone
        return [
            Cell(f"Subpoena {r.subpoena_id}", href=reverse("desks:subpoena", args=[r.subpoena_id])),
            Cell(f"{r.subpoena.recipient_lea.name} ({r.subpoena.recipient_lea.ori})"),
            Cell(r.doj_office.name),
            Cell(local(r.referred_at, tz)),
        ]

    qs = (
        access.referrals_for_user(user)
        .filter(state=ReferralState.OPEN)
        .select_related("subpoena__recipient_lea__jurisdiction", "doj_office")
        .order_by("referred_at", "pk")
    )
    return _queue(
        "referrals",
        "Open referrals to DOJ",
        "Non-compliance referred to a Department of Justice office, not yet petitioned or declined.",
        qs,
        ["Subpoena", "Recipient", "DOJ office", "Referred"],
        row,
    )


def q_court_cases(user: Any, now: datetime) -> Queue:
    def row(c: CourtCase) -> list[Cell]:
        subpoena = c.referral.subpoena
        tz = subpoena.recipient_lea.jurisdiction.timezone
        return [
            Cell(f"{c.court} {c.case_number}", href=reverse("desks:court_case", args=[c.pk])),
            Cell(f"{subpoena.recipient_lea.name} ({subpoena.recipient_lea.ori})"),
            Cell(c.get_state_display()),
            Cell(local(c.comply_by, tz) if c.comply_by else "Not set"),
            _countdown(c.comply_by, now) if c.comply_by else Cell("—"),
        ]

    qs = (
        access.court_cases_for_user(user)
        .exclude(state=CourtState.CLOSED)
        .select_related("referral__subpoena__recipient_lea__jurisdiction")
        .order_by("comply_by", "filed_at", "pk")
    )
    return _queue(
        "court-cases",
        "Court cases",
        "Subpoena-enforcement cases that are not closed, with the comply-by date set by the court.",
        qs,
        ["Case", "Respondent", "State", "Comply by", "Time remaining"],
        row,
    )


# ------------------------------------------------------------------------------------------- work items


def q_work(user: Any, now: datetime) -> Queue:
    def row(w: WorkItem) -> list[Cell]:
        tz = "UTC"
        link = Cell("—")
        if w.detainer is not None:
            link = Cell(f"Detainer {w.detainer.pk}", href=reverse("desks:detainer", args=[w.detainer.pk]))
            tz = w.detainer.facility.timezone
        elif w.subpoena is not None:
            link = Cell(f"Subpoena {w.subpoena.pk}", href=reverse("desks:subpoena", args=[w.subpoena.pk]))
            tz = w.subpoena.recipient_lea.jurisdiction.timezone
        elif w.court_case is not None:
            case = w.court_case
            link = Cell(f"{case.court} {case.case_number}", href=reverse("desks:court_case", args=[case.pk]))
            tz = case.referral.subpoena.recipient_lea.jurisdiction.timezone
        return [Cell(w.get_kind_display()), link, Cell(local(w.due_at, tz)), _countdown(w.due_at, now), Cell(w.detail)]

    qs = (
        access.work_items_for_user(user)
        .filter(resolved_at__isnull=True)
        .select_related(
            "detainer__facility",
            "subpoena__recipient_lea__jurisdiction",
            "court_case__referral__subpoena__recipient_lea__jurisdiction",
        )
        .order_by("due_at", "pk")
    )
    return _queue(
        "work",
        "Open work items",
        "Things to do because a clock ran out, such as a release required at the hold ceiling.",
        qs,
        ["Work", "Case", "Due", "Time", "Detail"],
        row,
    )


def q_failed_deliveries(user: Any, now: datetime) -> Queue:
    from holdtrack.documents.delivery import failed_deliveries_for

    def row(a: Any) -> list[Cell]:
        doc = a.document
        return [
            Cell(doc.title, href=reverse("desks:document_download", args=[doc.pk])),
            Cell(a.recipient_org.name),
            Cell(a.get_channel_display()),
            Cell(local(a.attempted_at, "UTC")),
            Cell(a.error[:200]),
        ]

    return _queue(
        "failed-deliveries",
        "Deliveries that did not get through",
        "Documents sent to a counterparty that failed; send again or record how the matter was settled.",
        failed_deliveries_for(user),
        ["Document", "Recipient", "Channel", "Attempted", "Error"],
        row,
    )


# ---------------------------------------------------------------------------------------------- by role

QueueBuilder = Callable[[Any, datetime], Queue]

QUEUE_BUILDERS: dict[str, list[QueueBuilder]] = {
    Role.AGENCY_OFFICER: [q_prepared, q_approved, q_holds, q_work, q_failed_deliveries],
    Role.AGENCY_SUPERVISOR: [q_to_approve, q_to_sign, q_to_refer, q_referrals, q_holds, q_work, q_failed_deliveries],
    Role.AGENCY_COUNSEL: [q_to_refer, q_referrals, q_court_cases, q_work, q_failed_deliveries],
    Role.DOJ_ATTORNEY: [q_referrals, q_court_cases, q_failed_deliveries],
    Role.LEA_BOOKING: [q_to_receive, q_to_serve, q_active, q_holds, q_work, q_failed_deliveries],
    Role.LEA_COUNSEL: [q_policy_review, q_subpoenas_due, q_court_cases, q_work, q_failed_deliveries],
}


def queues_for(user: Any, now: datetime) -> list[Queue]:
    builders: Iterable[QueueBuilder] = QUEUE_BUILDERS.get(str(user.role), [])
    return [build(user, now) for build in builders]
