"""Web pages: the dashboard with the queues of the user's role, and read-only case pages.

Case data is read only through ``holdtrack.cases.access``; a missing and a forbidden case both answer 404.
Actions (approve, receive, decide …) come with the role desks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from holdtrack.accounts.models import PERSONAL_DATA_ROLES, Role
from holdtrack.audit.models import CaseType
from holdtrack.cases import access, clocks
from holdtrack.cases.models import (
    JUDICIAL_WARRANTS,
    CourtCase,
    Detainer,
    DetainerState,
    ItemCategory,
    OutcomeGroup,
    Subpoena,
)
from holdtrack.core.errors import NotFound
from holdtrack.core.timeutil import local, now
from holdtrack.desks import presenters
from holdtrack.desks.queues import queues_for

T = TypeVar("T")

AUDIT_EVENTS_SHOWN = 50


def _found_or_404(getter: Callable[[Any, Any], T], user: Any, pk: int) -> T:
    try:
        return getter(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _lea(lea: Any) -> str:
    return f"{lea.name} (ORI {lea.ori})"


def _facility(facility: Any) -> str:
    return f"{facility.name} (code {facility.code})"


# -------------------------------------------------------------------------------------------- dashboard


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    at = now()
    role = str(getattr(user, "role", ""))
    context: dict[str, Any] = {
        "role": role,
        "case_role": role in PERSONAL_DATA_ROLES,
        "queues": queues_for(user, at),
        "now": at,
    }
    if role == Role.ANALYST:
        counts = access.detainer_counts_for_user(user)
        state_labels = presenters.STATE_LABELS
        outcome_labels = dict(OutcomeGroup.choices)
        context["aggregates"] = [
            {
                "key": "by-state",
                "title": "Detainers by state",
                "label": "State",
                "rows": [(state_labels[CaseType.DETAINER].get(k, k), n) for k, n in counts["state"]],
            },
            {
                "key": "by-outcome",
                "title": "Detainers by outcome group",
                "label": "Outcome group",
                "rows": [(outcome_labels.get(k, k), n) for k, n in counts["outcome_group"]],
            },
            {
                "key": "subpoenas-by-state",
                "title": "Subpoenas by state",
                "label": "State",
                "rows": [
                    (state_labels[CaseType.SUBPOENA].get(k, k), n) for k, n in access.subpoena_counts_for_user(user)
                ],
            },
        ]
        for table in context["aggregates"]:
            table["total"] = sum(n for _, n in table["rows"])
    if role in (Role.AUDITOR, Role.ADMIN):
        events = access.audit_events_for_user(user).order_by("-id")[:AUDIT_EVENTS_SHOWN]
        context["audit_events"] = [
            {
                "id": e.id,
                "at": local(e.at, "UTC"),
                "action": e.action,
                "entity": f"{e.entity_type} {e.entity_id}",
                "actor": e.actor.username if e.actor else "—",
                "actor_role": presenters.ROLE_LABELS.get(e.actor_role, e.actor_role or "—"),
                "hash": e.hash[:12],
            }
            for e in events
        ]
    return render(request, "desks/dashboard.html", context)


# ------------------------------------------------------------------------------------------- detainers


@require_safe
@login_required
def detainer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d: Detainer = _found_or_404(access.detainer_get_for_user, request.user, pk)
    tz = d.facility.timezone
    at = now()
    warrants = [
        {
            "type": w.get_warrant_type_display(),
            # Label from the stored flag and the type together: an administrative warrant is never "judicial".
            "judicial": bool(w.is_judicial and w.warrant_type in JUDICIAL_WARRANTS),
            "number": w.number,
            "signed_by": f"{w.signed_by_name}, {w.signed_by_title}",
            "court": w.court,
            "signed": local(w.signed_at, tz),
            "attached": local(w.attached_at, tz),
        }
        for w in d.warrants.order_by("attached_at", "pk")
    ]
    booking = d.booking
    facts = [
        ("Subject", d.subject.display_name),
        ("Law enforcement agency", _lea(d.addressed_lea)),
        ("Facility", _facility(d.facility)),
        ("Booking", f"{booking.booking_number}, booked {local(booking.booked_at, tz)}"),
        ("Issuing office", d.issuing_office.name),
        ("Form", f"{d.get_form_type_display()} (revision {d.form_revision})"),
        ("Request", d.get_request_type_display()),
        ("Probable cause", d.get_box_display()),
        ("Prepared", local(d.prepared_at, tz)),
        ("Supervisor approval", local(d.approved_at, tz) if d.approved_at else "Not yet approved"),
        ("Transmitted", local(d.transmitted_at, tz) if d.transmitted_at else "Not yet transmitted"),
        ("Received by the LEA", local(d.received_at, tz) if d.received_at else "Not yet received"),
        (
            "Service on the subject",
            f"{local(d.served_at, tz)}, {d.get_service_method_display().lower()}"
            + (f", language {d.service_language}" if d.service_language else "")
            if d.served_at
            else "Not yet served",
        ),
        (
            "LEA decision",
            f"{d.get_lea_decision_display()} ({local(d.decided_at, tz)})" if d.lea_decision else "No decision yet",
        ),
        (
            "Release eligibility",
            local(booking.release_eligible_at, tz) if booking.release_eligible_at else "Not reached",
        ),
        ("Released", local(booking.released_at, tz) if booking.released_at else "In custody"),
    ]
    if d.neutral_review_required:
        facts.append(
            (
                "Neutral probable-cause review",
                f"{d.get_neutral_review_result_display()} ({local(d.neutral_review_at, tz)})"
                if d.neutral_review_result
                else "Required, not yet recorded",
            )
        )
    if d.lift_reason:
        facts.append(("Lift reason", d.lift_reason))
    if d.outcome_at:
        facts.append(("Outcome", f"{d.get_outcome_group_display()} ({local(d.outcome_at, tz)})"))
    hold = None
    if d.hold_started_at:
        hold = {
            "starts": local(d.hold_started_at, tz),
            "expires": local(d.hold_expires_at, tz),
            "expires_iso": presenters.iso_z(d.hold_expires_at),
            "remaining": presenters.remaining_text(d.hold_expires_at, at) if d.hold_expires_at else "",
            "in_effect": d.hold_ended_at is None and d.state == DetainerState.HOLD_IN_EFFECT,
            "rule": d.hold_rule,
            "ended": local(d.hold_ended_at, tz) if d.hold_ended_at else "",
        }
    context = {
        "case": d,
        "case_title": f"Detainer {d.pk}",
        "state_label": d.get_state_display(),
        "tz": tz,
        "facts": facts,
        "warrants": warrants,
        "hold": hold,
        "clocks": presenters.clock_views(clocks.detainer_clocks(d), tz, at),
        "timeline": presenters.timeline([(CaseType.DETAINER, d.pk), (CaseType.BOOKING, booking.pk)], tz),
        "documents": presenters.documents(CaseType.DETAINER, d.pk, tz),
        "policy_hits": presenters.policy_hits(
            [("At preparation", d.policy_at_prepare), ("At the LEA decision", d.policy_at_decision)]
        ),
        "subpoenas": [
            {"pk": s.pk, "label": f"Subpoena {s.pk}", "state": s.get_state_display()}
            for s in access.subpoenas_for_user(request.user).filter(related_detainer=d).order_by("pk")
        ],
    }
    return render(request, "desks/detainer_detail.html", context)


# ------------------------------------------------------------------------------------------- subpoenas


@require_safe
@login_required
def subpoena_detail(request: HttpRequest, pk: int) -> HttpResponse:
    s: Subpoena = _found_or_404(access.subpoena_get_for_user, request.user, pk)
    tz = s.recipient_lea.jurisdiction.timezone
    at = now()
    items = dict(ItemCategory.choices)
    related = None
    if s.related_detainer_id and access.detainers_for_user(request.user).filter(pk=s.related_detainer_id).exists():
        related = s.related_detainer_id
    facts = [
        ("Subject", s.subject.display_name),
        ("Recipient", _lea(s.recipient_lea)),
        ("Issuing office", s.issuing_office.name),
        ("Kind", "Administrative subpoena — not a court order"),
        ("Form and authority", f"{s.form_number}, {s.statutory_basis}"),
        ("Items requested", "; ".join(items.get(i, i) for i in s.items)),
        ("Return period", f"{s.return_days} days from service"),
        ("Manner of return", s.return_manner),
        (
            "Signed",
            f"{local(s.issued_at, tz)} by {s.issued_by}, {s.issuing_official_title}"
            if s.issued_at
            else "Not yet signed",
        ),
        ("Served", f"{local(s.served_at, tz)} ({s.service_method.lower()})" if s.served_at else "Not yet served"),
        ("Return date", local(s.return_due_at, tz) if s.return_due_at else "Set at service"),
        ("First response", local(s.responded_at, tz) if s.responded_at else "None recorded"),
    ]
    responses = [
        {
            "type": r.get_response_type_display(),
            "sent": local(r.sent_at, tz),
            "items": "; ".join(items.get(i, i) for i in r.produced_items) or "None",
            "grounds": r.grounds,
            "legal_basis": r.legal_basis,
        }
        for r in s.responses.order_by("sent_at", "pk")
    ]
    referral = getattr(s, "referral", None)
    records: list[tuple[str, int]] = [(CaseType.SUBPOENA, s.pk)]
    court_case = None
    if referral is not None:
        records.append((CaseType.REFERRAL, referral.pk))
        court_case = getattr(referral, "court_case", None)
    context = {
        "case": s,
        "case_title": f"Subpoena {s.pk}",
        "state_label": s.get_state_display(),
        "tz": tz,
        "facts": facts,
        "related_detainer": related,
        "responses": responses,
        "referral": (
            {
                "state": referral.get_state_display(),
                "doj_office": referral.doj_office.name,
                "district": referral.usao_district,
                "referred": local(referral.referred_at, tz),
            }
            if referral
            else None
        ),
        "court_case": court_case,
        "clocks": presenters.clock_views(clocks.subpoena_clocks(s), tz, at),
        "timeline": presenters.timeline(records, tz),
        "documents": presenters.documents(CaseType.SUBPOENA, s.pk, tz),
    }
    return render(request, "desks/subpoena_detail.html", context)


# ----------------------------------------------------------------------------------------- court cases


@require_safe
@login_required
def court_case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c: CourtCase = _found_or_404(access.court_case_get_for_user, request.user, pk)
    referral = c.referral
    s = referral.subpoena
    tz = s.recipient_lea.jurisdiction.timezone
    at = now()
    facts = [
        ("Court", c.court),
        ("Case number", c.case_number),
        ("Case type", c.case_type.replace("_", " ").capitalize()),
        ("Filed", local(c.filed_at, tz)),
        ("Petitioner", f"{referral.doj_office.name} ({referral.usao_district})"),
        ("Respondent", _lea(s.recipient_lea)),
        ("Subject of the subpoena", s.subject.display_name),
        ("Comply by", local(c.comply_by, tz) if c.comply_by else "Not set"),
    ]
    orders = [
        {
            "type": o.get_order_type_display(),
            "issued": local(o.issued_at, tz),
            "issued_by": o.issued_by or "—",
            "comply_within": f"{o.comply_within_days} days" if o.comply_within_days else "—",
            "terms": o.terms,
        }
        for o in c.orders.order_by("issued_at", "pk")
    ]
    context = {
        "case": c,
        "case_title": f"{c.court} {c.case_number}",
        "state_label": c.get_state_display(),
        "tz": tz,
        "facts": facts,
        "subpoena_id": s.pk,
        "orders": orders,
        "clocks": presenters.clock_views(clocks.court_clocks(c), tz, at),
        "timeline": presenters.timeline([(CaseType.COURT_CASE, c.pk)], tz),
        "documents": presenters.documents(CaseType.COURT_CASE, c.pk, tz),
    }
    return render(request, "desks/court_case_detail.html", context)
