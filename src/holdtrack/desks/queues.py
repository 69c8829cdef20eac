"""The dashboard's queues, one set per role, built from one table (``QUEUES``): each spec names its scoped
query, its columns and how a row looks. Every query starts from an access function (``cases.access``;
``custody.access`` for identity matches, with ``screening.selectors.review_queue`` for the proposed ones), so
a queue can only ever narrow what the user may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.html import conditional_escape, format_html

from holdtrack.accounts.models import Role
from holdtrack.accounts.scope import AnyUser, scope_shape, scope_stand_in, scope_values
from holdtrack.cases import access
from holdtrack.cases.models import (
    ACTIVE_STATES,
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
from holdtrack.core.rows import rows, statement
from holdtrack.core.timeutil import local
from holdtrack.custody.access import matches_for_user
from holdtrack.custody.identity import subjects_of_persons_with_open_claim
from holdtrack.custody.models import IdentityMatch, MatchStatus
from holdtrack.desks.presenters import iso_z, remaining_text
from holdtrack.documents.delivery import failed_deliveries_for
from holdtrack.screening.selectors import review_queue

ROW_LIMIT = 20
S = DetainerState
SS = SubpoenaState


@dataclass(frozen=True)
class Cell:
    text: str = ""
    href: str = ""
    # A due time: rendered as <time datetime=… data-countdown> and kept current by countdown.js.
    due_iso: str | None = None

    @property
    def html(self) -> str:
        """The cell's content: a link, a due time, or text. Written here rather than by a template included for
        each of a dashboard's few hundred cells (issue 12)."""
        if self.href:
            return format_html('<a href="{}">{}</a>', self.href, self.text)
        if self.due_iso:
            return format_html('<time datetime="{}" data-countdown>{}</time>', self.due_iso, self.text)
        return conditional_escape(self.text)


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


def _countdown(due: datetime | None, now: datetime) -> Cell:
    if due is None:
        return Cell("—")
    return Cell(remaining_text(due, now), due_iso=iso_z(due))


# ------------------------------------------------------------------------------------ identity matches


def _match_row(m: IdentityMatch, now: datetime) -> list[Cell]:
    tz = m.booking.facility.timezone
    return [
        Cell(f"Match {m.pk}", href=reverse("desks:match", args=[m.pk])),
        Cell(m.booking.booking_number),
        Cell(f"{m.booking.facility.name} ({m.booking.facility.code})"),
        Cell(m.get_basis_display()),
        Cell(f"{m.score:.3f}" if m.score is not None else "—"),
        Cell(local(m.proposed_at, tz)),
    ]


MATCH_COLUMNS = ["Match", "Booking", "Facility", "Basis", "Score", "Proposed"]


def _matches(user: AnyUser, status: str) -> QuerySet[IdentityMatch]:
    return (
        matches_for_user(user).filter(status=status).select_related("booking__facility").order_by("proposed_at", "pk")
    )


# -------------------------------------------------------------------------------------------- detainers


def _detainers(user: AnyUser, *states: str) -> QuerySet[Detainer]:
    return (
        access.detainers_for_user(user).filter(state__in=states).select_related("facility", "addressed_lea", "booking")
    )


def _detainer_link(d: Detainer) -> Cell:
    return Cell(f"Detainer {d.pk}", href=reverse("desks:detainer", args=[d.pk]))


def _detainer_row(when: Callable[[Detainer], datetime | None]) -> Callable[[Detainer, datetime], list[Cell]]:
    def row(d: Detainer, now: datetime) -> list[Cell]:
        return [
            _detainer_link(d),
            Cell(d.booking.booking_number),
            Cell(f"{d.facility.name} ({d.facility.code})"),
            Cell(f"{d.addressed_lea.name} ({d.addressed_lea.ori})"),
            Cell(d.get_form_type_display().split(" ", 1)[0] + f" · {d.get_request_type_display().split(' (')[0]}"),
            Cell(local(when(d), d.facility.timezone)),
        ]

    return row


BASIC_COLUMNS = ["Case", "Booking", "Facility", "Law enforcement agency", "Form and request", "Since"]


def _hold_row(d: Detainer, now: datetime) -> list[Cell]:
    return [
        _detainer_link(d),
        Cell(d.booking.booking_number),
        Cell(f"{d.facility.name} ({d.facility.code})"),
        Cell(f"{d.addressed_lea.name} ({d.addressed_lea.ori})"),
        Cell(local(d.hold_expires_at, d.facility.timezone)),
        _countdown(d.hold_expires_at, now),
    ]


HOLD_COLUMNS = ["Case", "Booking", "Facility", "Law enforcement agency", "Hold ends", "Time remaining"]


def _transfers(user: AnyUser) -> QuerySet[Detainer]:
    """Subjects the agency may take into custody now: a hold in effect, or an active detainer whose subject
    reached release eligibility and is still held."""
    return (
        _detainers(user, S.HOLD_IN_EFFECT, *ACTIVE_STATES)
        .filter(booking__released_at__isnull=True)
        .exclude(state__in=ACTIVE_STATES, booking__release_eligible_at__isnull=True)
        .order_by("hold_expires_at", "booking__release_eligible_at", "pk")
    )


# -------------------------------------------------------------------------------------------- subpoenas


def _subpoenas(user: AnyUser, *states: str) -> QuerySet[Subpoena]:
    return access.subpoenas_for_user(user).filter(state__in=states).select_related("recipient_lea__jurisdiction")


def _subpoena_row(
    when: Callable[[Subpoena], datetime | None], *, countdown: bool = False
) -> Callable[[Subpoena, datetime], list[Cell]]:
    def row(s: Subpoena, now: datetime) -> list[Cell]:
        due = when(s)
        cells = [
            Cell(f"Subpoena {s.pk}", href=reverse("desks:subpoena", args=[s.pk])),
            Cell(f"{s.recipient_lea.name} ({s.recipient_lea.ori})"),
            Cell(s.get_state_display()),
            Cell(local(due, s.recipient_lea.jurisdiction.timezone)),
        ]
        if countdown:
            cells.append(_countdown(due, now))
        return cells

    return row


# ---------------------------------------------------------------------------------- referrals and court


def _referral_row(r: EnforcementReferral, now: datetime) -> list[Cell]:
    tz = r.subpoena.recipient_lea.jurisdiction.timezone
    return [
        Cell(f"Subpoena {r.subpoena_id}", href=reverse("desks:subpoena", args=[r.subpoena_id])),
        Cell(f"{r.subpoena.recipient_lea.name} ({r.subpoena.recipient_lea.ori})"),
        Cell(r.doj_office.name),
        Cell(local(r.referred_at, tz)),
    ]


def _court_row(c: CourtCase, now: datetime) -> list[Cell]:
    subpoena = c.referral.subpoena
    tz = subpoena.recipient_lea.jurisdiction.timezone
    return [
        Cell(f"{c.court} {c.case_number}", href=reverse("desks:court_case", args=[c.pk])),
        Cell(f"{subpoena.recipient_lea.name} ({subpoena.recipient_lea.ori})"),
        Cell(c.get_state_display()),
        Cell(local(c.comply_by, tz) if c.comply_by else "Not set"),
        _countdown(c.comply_by, now) if c.comply_by else Cell("—"),
    ]


# ------------------------------------------------------------------------------------------- work items


def _work_row(w: WorkItem, now: datetime) -> list[Cell]:
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


def _work(user: AnyUser) -> QuerySet[WorkItem]:
    return (
        access.work_items_for_user(user)
        .filter(resolved_at__isnull=True)
        .select_related(
            "detainer__facility",
            "subpoena__recipient_lea__jurisdiction",
            "court_case__referral__subpoena__recipient_lea__jurisdiction",
        )
        .order_by("due_at", "pk")
    )


def _failed_deliveries(user: AnyUser) -> QuerySet[Any]:
    return failed_deliveries_for(user)


def _delivery_row(a: Any, now: datetime) -> list[Cell]:
    doc = a.document
    return [
        Cell(doc.title, href=reverse("desks:document_download", args=[doc.pk])),
        Cell(a.recipient_org.name),
        Cell(a.get_channel_display()),
        Cell(local(a.attempted_at, "UTC")),
        Cell(a.error[:200]),
    ]


def _claims(user: AnyUser) -> QuerySet[Detainer]:
    """Detainers whose subject (any record of the person) has an open citizenship claim: the supervisor
    resolves it."""
    return (
        access.detainers_for_user(user)
        .filter(subject_id__in=subjects_of_persons_with_open_claim().values("pk"))
        .select_related("facility", "addressed_lea", "booking")
        .order_by("pk")
    )


# ------------------------------------------------------------------------------------------------ table


@dataclass(frozen=True)
class QueueSpec:
    key: str
    title: str
    description: str
    query: Callable[[AnyUser], QuerySet[Any]]
    columns: list[str]
    row: Callable[[Any, datetime], list[Cell]]
    # Read its keys first, then the rows of those keys: for a queue whose rows join many relations (planning
    # them cost PostgreSQL a millisecond) and that is mostly empty.
    keys_first: bool = False

    def titled(self, key: str, title: str) -> QueueSpec:
        return QueueSpec(key, title, self.description, self.query, self.columns, self.row, self.keys_first)


SUBPOENA_COLUMNS = ["Case", "Recipient", "State"]

QUEUES: dict[str, QueueSpec] = {
    q.key: q
    for q in [
        QueueSpec(
            "matches",
            "Identity matches to review",
            "Proposed links between a booking and a registry subject. A match causes nothing until you confirm it.",
            # The row shows the booking and its facility; the review queue's other relations are not read here.
            lambda u: review_queue(u).select_related(None).select_related("booking__facility"),
            MATCH_COLUMNS,
            _match_row,
        ),
        QueueSpec(
            "to-prepare",
            "Confirmed matches: detainers to prepare",
            "Confirmed matches of subjects still in custody for which no detainer has been prepared.",
            # NOT EXISTS rather than the ORM's LEFT JOIN … IS NULL: PostgreSQL then plans the queue from the
            # confirmed matches instead of every booking of the area (bench/web.py --plans: 0.7 ms against 7.8).
            lambda u: _matches(u, MatchStatus.CONFIRMED).filter(
                ~Exists(Detainer.objects.filter(identity_match=OuterRef("pk"))), booking__released_at__isnull=True
            ),
            MATCH_COLUMNS,
            _match_row,
        ),
        QueueSpec(
            "prepared",
            "Prepared, awaiting supervisor approval",
            "Detainers prepared in your area of responsibility that a supervisor has not yet approved.",
            lambda u: _detainers(u, S.PREPARED).order_by("prepared_at", "pk"),
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.prepared_at),
        ),
        QueueSpec(
            "approved",
            "Approved, ready to transmit",
            "Detainers a supervisor approved that have not been sent to the law enforcement agency.",
            lambda u: _detainers(u, S.APPROVED).order_by("approved_at", "pk"),
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.approved_at),
        ),
        QueueSpec(
            "to-receive",
            "Transmitted, to receive",
            "Detainers sent to your agency that have not been marked as received.",
            lambda u: _detainers(u, S.TRANSMITTED).order_by("transmitted_at", "pk"),
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.transmitted_at),
        ),
        QueueSpec(
            "to-serve",
            "To serve on the subject",
            "Received detainers whose copy has not yet been served on the subject.",
            lambda u: (
                _detainers(u, S.RECEIVED, S.UNDER_POLICY_REVIEW)
                .filter(served_at__isnull=True)
                .order_by("received_at", "pk")
            ),
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.received_at),
        ),
        QueueSpec(
            "policy-review",
            "Under policy review",
            "Detainers waiting for a decision under local law: honor the hold, notify only, or decline.",
            lambda u: _detainers(u, S.UNDER_POLICY_REVIEW).order_by("received_at", "pk"),
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.received_at),
        ),
        QueueSpec(
            "active",
            "Active detainers: release eligibility to record",
            "Decided detainers on subjects still in custody. Recording release eligibility (bond, dismissal, "
            "sentence served) starts any hold ceiling.",
            lambda u: (
                _detainers(u, S.ACTIVE_HOLD_ELIGIBLE, S.ACTIVE_NOTIFY_ONLY)
                .filter(booking__release_eligible_at__isnull=True)
                .order_by("decided_at", "pk")
            ),
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.decided_at),
        ),
        QueueSpec(
            "holds",
            "Holds in effect",
            "Subjects held on a detainer. Each hold ends at its ceiling; the time left is shown.",
            lambda u: _detainers(u, S.HOLD_IN_EFFECT).order_by("hold_expires_at", "pk"),
            HOLD_COLUMNS,
            _hold_row,
        ),
        QueueSpec(
            "transfers",
            "Custody transfers to record",
            "Subjects held on a detainer, or eligible for release on an active one: the agency may take custody "
            "until the hold ceiling.",
            _transfers,
            HOLD_COLUMNS,
            _hold_row,
        ),
        QueueSpec(
            "claims",
            "Citizenship claims to resolve",
            "Detainers whose subject has an open citizenship claim. No hold may start or continue until it is "
            "resolved.",
            _claims,
            BASIC_COLUMNS,
            _detainer_row(lambda d: d.prepared_at),
        ),
        QueueSpec(
            "to-sign",
            "Subpoenas to sign",
            "Draft administrative subpoenas waiting for an authorized official's signature.",
            lambda u: _subpoenas(u, SS.DRAFT).order_by("drafted_at", "pk"),
            [*SUBPOENA_COLUMNS, "Drafted"],
            _subpoena_row(lambda s: s.drafted_at),
        ),
        QueueSpec(
            "to-refer",
            "Non-compliance to consider for referral",
            "Subpoenas answered in part, objected to, declined, or unanswered by the return date.",
            lambda u: _subpoenas(u, *SUBPOENA_NONCOMPLIANT).order_by("return_due_at", "pk"),
            [*SUBPOENA_COLUMNS, "Return date"],
            _subpoena_row(lambda s: s.return_due_at),
        ),
        QueueSpec(
            "subpoenas-due",
            "Subpoenas to answer",
            "Administrative subpoenas served on your agency, with their return dates. "
            "An administrative subpoena is not a court order.",
            lambda u: _subpoenas(u, SS.SERVED, SS.RESPONSE_DUE).order_by("return_due_at", "pk"),
            [*SUBPOENA_COLUMNS, "Return date", "Time remaining"],
            _subpoena_row(lambda s: s.return_due_at, countdown=True),
        ),
        QueueSpec(
            "referrals",
            "Open referrals to DOJ",
            "Non-compliance referred to a Department of Justice office, not yet petitioned or declined.",
            lambda u: (
                access.referrals_for_user(u)
                .filter(state=ReferralState.OPEN)
                .select_related("subpoena__recipient_lea__jurisdiction", "doj_office")
                .order_by("referred_at", "pk")
            ),
            ["Subpoena", "Recipient", "DOJ office", "Referred"],
            _referral_row,
        ),
        QueueSpec(
            "court-cases",
            "Court cases",
            "Subpoena-enforcement cases that are not closed, with the comply-by date set by the court.",
            lambda u: (
                access.court_cases_for_user(u)
                .exclude(state=CourtState.CLOSED)
                .select_related("referral__subpoena__recipient_lea__jurisdiction")
                .order_by("comply_by", "filed_at", "pk")
            ),
            ["Case", "Respondent", "State", "Comply by", "Time remaining"],
            _court_row,
        ),
        QueueSpec(
            "work",
            "Open work items",
            "Things to do because a clock ran out, such as a release required at the hold ceiling.",
            _work,
            ["Work", "Case", "Due", "Time", "Detail"],
            _work_row,
            keys_first=True,  # nine relations for a queue that is empty until a clock runs out
        ),
        QueueSpec(
            "failed-deliveries",
            "Deliveries that did not get through",
            "Documents sent to a counterparty that failed; send again or record how the matter was settled.",
            _failed_deliveries,
            ["Document", "Recipient", "Channel", "Attempted", "Error"],
            _delivery_row,
        ),
    ]
}
QUEUES["to-approve"] = QUEUES["prepared"].titled("to-approve", "Detainers to approve")

QUEUE_KEYS: dict[str, list[str]] = {
    Role.AGENCY_OFFICER: [
        "matches",
        "to-prepare",
        "prepared",
        "approved",
        "holds",
        "transfers",
        "work",
        "failed-deliveries",
    ],
    Role.AGENCY_SUPERVISOR: [
        "to-approve",
        "claims",
        "to-sign",
        "to-refer",
        "referrals",
        "holds",
        "work",
        "failed-deliveries",
    ],
    Role.AGENCY_COUNSEL: ["to-refer", "referrals", "court-cases", "work", "failed-deliveries"],
    Role.DOJ_ATTORNEY: ["referrals", "court-cases", "failed-deliveries"],
    Role.LEA_BOOKING: ["to-receive", "to-serve", "active", "holds", "transfers", "work", "failed-deliveries"],
    Role.LEA_COUNSEL: ["policy-review", "subpoenas-due", "court-cases", "work", "failed-deliveries"],
}


def _count(parts: Sequence[tuple[str, list[Any]]], alias: str) -> list[int]:
    """``SELECT (SELECT COUNT(*) FROM (<queryset>) q0), (…) q1, …``, each over exactly the rows its queue lists, so
    a count never disagrees with its rows. A queryset the ORM answers without SQL (``none()``) counts 0."""
    columns: list[str] = []
    params: list[Any] = []
    for i, (sql, p) in enumerate(parts):
        # The SQL is Django's own compilation of the queryset; values stay in params.
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) q{i})" if sql else "0")  # noqa: S608
        params.extend(p)
    if all(column == "0" for column in columns):  # none, or only queries the ORM answers without SQL
        return [0] * len(columns)
    with connections[alias].cursor() as cur:
        cur.execute("SELECT " + ", ".join(columns), params)
        row = cur.fetchone()
    return [int(n) for n in row or ()]


def queues_for(user: AnyUser, now: datetime, only: str | None = None) -> list[Queue]:
    """The user's queues (or only the one named, if it is the user's): up to ROW_LIMIT rows of each, and its
    count — the rows' own number, or, for a queue with more rows than shown, a count of every row (one
    statement for all such queues).

    Each queue's statements are compiled once per scope shape (``core.rows.statement`` and ``rows``): built on
    a stand-in user of the same role and organization kind (``accounts.scope.scope_stand_in``), run with this
    user's ids. Compiling them was half the dashboard's CPU; counting every queue first cost the database more
    than reading one row past the page (issue 12)."""
    role = str(getattr(user, "role", ""))  # an anonymous visitor has no role and no queues
    specs = [QUEUES[key] for key in QUEUE_KEYS.get(role, []) if only is None or key == only]
    if not specs:
        return []
    shape, values = scope_shape(user), scope_values(user)
    found = [_rows(spec, user, shape, values) for spec in specs]
    longer = [spec for spec, objs in zip(specs, found, strict=True) if len(objs) > ROW_LIMIT]
    counted = dict(
        zip(
            [spec.key for spec in longer],
            _count([_counted(s, user, shape, values) for s in longer], DEFAULT_DB_ALIAS),
            strict=True,
        )
    )
    return [
        Queue(
            spec.key,
            spec.title,
            spec.description,
            counted.get(spec.key, len(objs)),
            spec.columns,
            [spec.row(o, now) for o in objs[:ROW_LIMIT]],
        )
        for spec, objs in zip(specs, found, strict=True)
    ]


def _counted(spec: QueueSpec, user: AnyUser, shape: tuple[Any, ...], values: tuple[int, ...]) -> tuple[str, list[Any]]:
    def build(*ids: int) -> QuerySet[Any]:
        return spec.query(scope_stand_in(user, ids)).order_by().values("pk")

    return statement(("desks.queue.count", spec.key, *shape), build, *values)


def _rows(spec: QueueSpec, user: AnyUser, shape: tuple[Any, ...], values: tuple[int, ...]) -> list[Any]:
    if spec.keys_first:
        return _rows_by_keys(spec, user, shape, values)

    def build(*ids: int) -> QuerySet[Any]:
        return spec.query(scope_stand_in(user, ids))[: ROW_LIMIT + 1]  # one more: whether a count is needed

    return rows(("desks.queue.rows", spec.key, ROW_LIMIT, *shape), build, *values)


def _rows_by_keys(spec: QueueSpec, user: AnyUser, shape: tuple[Any, ...], values: tuple[int, ...]) -> list[Any]:
    def build(*ids: int) -> QuerySet[Any]:
        return spec.query(scope_stand_in(user, ids)).values("pk")[: ROW_LIMIT + 1]

    sql, params = statement(("desks.queue.keys", spec.key, ROW_LIMIT, *shape), build, *values)
    if not sql:
        return []
    with connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute(sql, params)
        keys = [row[0] for row in cur.fetchall()]
    # The rows of those keys, in the queue's order, through the same scoped query.
    return list(spec.query(user).filter(pk__in=keys)) if keys else []
