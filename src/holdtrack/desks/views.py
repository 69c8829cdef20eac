"""Web pages: the dashboard with the queues of the user's role, case pages, and the actions on them.

Case data is read only through ``holdtrack.cases.access``; a missing and a forbidden case both answer 404.
Actions are offered by ``desks.actions`` (role, state and party) and carried out by the services; a refused
guard, an invalid transition or a change made meanwhile re-renders the page with what the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from holdtrack.accounts.models import PERSONAL_DATA_ROLES, Role
from holdtrack.accounts.scope import AnyUser, scope_shape, scope_stand_in, scope_values
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
    Warrant,
)
from holdtrack.core import memo
from holdtrack.core.errors import REFUSAL_STATUS, DomainError, InvalidTransition, NotFound
from holdtrack.core.rows import read_all, rows
from holdtrack.core.timeutil import local, now
from holdtrack.custody.access import match_get_for_user, matches_for_user
from holdtrack.custody.models import IdentityMatch
from holdtrack.desks import actions, presenters
from holdtrack.desks.queues import queues_for
from holdtrack.kernel.refusals import Stage

T = TypeVar("T")

AUDIT_EVENTS_SHOWN = 50


def _found_or_404(getter: Callable[[AnyUser, int], T], user: AnyUser, pk: int) -> T:
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
    only = request.GET.get("queue")
    if only:
        # htmx refresh of one queue section (hx-get every minute, per section): the same markup as the full
        # page, building only that queue (an open dashboard polls each of its queues).
        queues = queues_for(user, at, only=only)
        if not queues:
            raise Http404("No such queue.")
        return render(request, "desks/_queue.html", {"queue": queues[0]})
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
                "hash": e.link[:12] or "pending",
            }
            for e in events
        ]
    return render(request, "desks/dashboard.html", context)


# ------------------------------------------------------------------------------------------- detainers


@require_safe
@login_required
def detainer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    d: Detainer = _found_or_404(access.detainer_get_for_user, request.user, pk)
    return _case_page(request, actions.DETAINER, d)


def _warrants(detainer_id: int) -> QuerySet[Warrant]:
    return Warrant.objects.filter(detainer_id=detainer_id).order_by("attached_at", "pk")


def _related_subpoenas(user: AnyUser, detainer_id: int) -> list[Subpoena]:
    """The subpoenas about the detainer that the user may see, compiled once per scope shape (core.rows)."""

    def build(*ids: int) -> QuerySet[Subpoena]:
        scope = access.subpoenas_for_user(scope_stand_in(user, ids[:-1]))
        return scope.filter(related_detainer_id=ids[-1]).order_by("pk")

    return rows(("desks.related_subpoenas", *scope_shape(user)), build, *scope_values(user), detainer_id)


def _detainer_context(request: HttpRequest, d: Detainer) -> dict[str, Any]:
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
        for w in read_all(("desks.warrants",), _warrants, d.pk)
    ]
    booking = d.booking
    facts = [
        ("Subject", d.subject.display_name),
        ("Person", presenters.person_text(d.subject, booking.subject_id)),
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
            for s in _related_subpoenas(request.user, d.pk)
        ],
        "open_claim": actions._open_claim(d.subject_id),
    }
    return context


# ------------------------------------------------------------------------------------------- subpoenas


@require_safe
@login_required
def subpoena_detail(request: HttpRequest, pk: int) -> HttpResponse:
    s: Subpoena = _found_or_404(access.subpoena_get_for_user, request.user, pk)
    return _case_page(request, actions.SUBPOENA, s)


def _subpoena_context(request: HttpRequest, s: Subpoena) -> dict[str, Any]:
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
    return context


# ----------------------------------------------------------------------------------------- court cases


@require_safe
@login_required
def court_case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c: CourtCase = _found_or_404(access.court_case_get_for_user, request.user, pk)
    return _case_page(request, actions.COURT_CASE, c)


def _court_case_context(request: HttpRequest, c: CourtCase) -> dict[str, Any]:
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
    return context


# ------------------------------------------------------------------------------------- identity matches


@require_safe
@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m: IdentityMatch = _found_or_404(match_get_for_user, request.user, pk)
    return _case_page(request, actions.MATCH, m)


def _match_context(request: HttpRequest, m: IdentityMatch) -> dict[str, Any]:
    booking = m.booking
    tz = booking.facility.timezone
    subject = m.subject
    facts = [
        ("Booking", f"{booking.booking_number}, booked {local(booking.booked_at, tz)}"),
        ("Facility", _facility(booking.facility)),
        ("Law enforcement agency", _lea(booking.custodian)),
        ("Registry subject", subject.display_name),
        ("Date of birth", subject.date_of_birth.isoformat() if subject.date_of_birth else "Not recorded"),
        ("Basis", m.get_basis_display()),
        ("Score", f"{m.score:.3f}" if m.score is not None else "No score (deterministic match)"),
        ("Model version", m.model_version or "—"),
        ("Proposed", local(m.proposed_at, tz)),
        (
            "Review",
            f"{m.get_status_display()} by {m.reviewed_by}, {local(m.reviewed_at, tz)}: {m.review_reason}"
            if m.reviewed_at
            else "Not yet reviewed",
        ),
        ("Released", local(booking.released_at, tz) if booking.released_at else "In custody"),
    ]
    if m.identifier_conflict:
        facts.insert(
            5,
            (
                "FBI-number conflict",
                f"Booking {booking.fbi_number or '—'} differs from the registry record's; "
                + (f"overridden by {m.override_by}: {m.override_reason}" if m.override_by_id else "needs a supervisor"),
            ),
        )
    booked_dob = booking.subject.date_of_birth
    facts.insert(
        4,
        (
            "Booking's date of birth",
            booked_dob.isoformat() if booked_dob else "Not on the booking: names and the other fields alone",
        ),
    )
    facts.append(("Person", presenters.person_text(m.subject, booking.subject_id)))
    explanation = [(presenters.humanize(str(k)), v) for k, v in sorted((m.explanation or {}).items())]
    detainer = access.detainers_for_user(request.user).filter(identity_match=m).first()
    # A booking may carry several proposals (namesakes, above all without a DOB): the reviewer weighs them together.
    others = (
        matches_for_user(request.user)
        .filter(booking_id=m.booking_id)
        .exclude(pk=m.pk)
        .select_related("subject")
        .order_by("-score", "pk")
    )
    return {
        "case": m,
        "case_title": f"Identity match {m.pk}",
        "state_label": m.get_status_display(),
        "tz": tz,
        "facts": facts,
        "explanation": explanation,
        "detainer": detainer,
        "other_proposals": list(others),
        "timeline": presenters.timeline([(CaseType.IDENTITY_MATCH, m.pk)], tz),
    }


# -------------------------------------------------------------------------------------------- actions

_CONTEXT: dict[str, tuple[Callable[[HttpRequest, Any], dict[str, Any]], str]] = {
    actions.DETAINER: (_detainer_context, "desks/detainer_detail.html"),
    actions.SUBPOENA: (_subpoena_context, "desks/subpoena_detail.html"),
    actions.COURT_CASE: (_court_case_context, "desks/court_case_detail.html"),
    actions.MATCH: (_match_context, "desks/match_detail.html"),
}
_GETTERS: dict[str, Callable[[AnyUser, int], Any]] = {
    actions.DETAINER: access.detainer_get_for_user,
    actions.SUBPOENA: access.subpoena_get_for_user,
    actions.COURT_CASE: access.court_case_get_for_user,
    actions.MATCH: match_get_for_user,
}


def _form_for(action: actions.Action, obj: Any, tz: str, seq: int, data: Any = None) -> Any:
    initial: dict[str, Any] = {"seq": seq}
    for name, field in action.form.base_fields.items():
        if field.initial is not None:
            initial[name] = field.initial
    return action.form(data, initial=initial, tz=tz, case=obj, auto_id=_auto_id(action))


def _auto_id(action: actions.Action) -> str:
    # Several forms share field names (reason, at …): ids stay unique on the page.
    return f"id_{action.key}_%s"


def _case_page(
    request: HttpRequest,
    kind: str,
    obj: Any,
    *,
    failed: actions.Action | None = None,
    failed_form: Any = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    # The page and its actions ask some things more than once (a booking's parties, the person's open claim).
    with memo.one_page():
        return _render_case_page(request, kind, obj, failed, failed_form, error, status)


def _render_case_page(
    request: HttpRequest,
    kind: str,
    obj: Any,
    failed: actions.Action | None,
    failed_form: Any,
    error: DomainError | None,
    status: int,
) -> HttpResponse:
    build, template = _CONTEXT[kind]
    context = build(request, obj)
    tz = context["tz"]
    seq = actions.last_seq(kind, obj)
    panels = []
    for action in actions.available(kind, request.user, obj):  # type: ignore[arg-type]
        is_failed = failed is not None and action.key == failed.key
        panels.append(
            {
                "action": action,
                "form": failed_form if is_failed else _form_for(action, obj, tz, seq),
                "error": error if is_failed else None,
                "url": action.url(obj.pk),
                "open": is_failed,
            }
        )
    if failed is not None and not any(p["action"].key == failed.key for p in panels):
        # The case moved on so far that the action is no longer offered: keep the typed form visible anyway.
        panels.insert(
            0,
            {
                "action": failed,
                "form": failed_form,
                "error": error,
                "url": failed.url(obj.pk),
                "open": True,
            },
        )
    context.update({"kind": kind, "panels": panels, "action_error": error, "failed_action": failed})
    return render(request, template, context, status=status)


@require_POST
@login_required
def case_action(request: HttpRequest, kind: str, pk: int, key: str) -> HttpResponse:
    if kind not in _GETTERS:
        raise Http404("No such record type.")
    obj = _found_or_404(_GETTERS[kind], request.user, pk)
    action = actions.get(kind, key)
    if action is None:
        raise Http404("No such action.")
    tz = _tz(kind, obj)
    form = action.form(request.POST, tz=tz, case=obj, auto_id=_auto_id(action))
    found = actions.first_refusal(action, request.user, obj)  # type: ignore[arg-type]
    if found is not None:
        refused = found.error
        # Not possible now: because the case moved since the page was loaded, or for the reason that refuses it.
        if _moved(request, kind, obj):
            return _case_page(
                request, kind, obj, failed=action, failed_form=form, error=actions.StaleForm(actions.STALE_MESSAGE),
                status=REFUSAL_STATUS,
            )  # fmt: skip
        if found.stage == Stage.PARTY:  # the role or the party: nothing typed is worth keeping
            return _case_page(request, kind, obj, error=refused, status=403)
        return _case_page(request, kind, obj, failed=action, failed_form=form, error=refused, status=REFUSAL_STATUS)
    if not form.is_valid():
        return _case_page(request, kind, obj, failed=action, failed_form=form, status=400)
    try:
        outcome = actions.perform(action, request.user, obj, form.cleaned_data)  # type: ignore[arg-type]
    except DomainError as exc:
        # A refused safeguard and a step the state no longer allows: one status, as in the API (core.errors).
        obj = _found_or_404(_GETTERS[kind], request.user, pk)
        if isinstance(exc, InvalidTransition) and _moved(request, kind, obj):
            exc = actions.StaleForm(actions.STALE_MESSAGE)  # someone else acted between our check and the lock
        return _case_page(request, kind, obj, failed=action, failed_form=form, error=exc, status=REFUSAL_STATUS)
    messages.success(request, outcome.message)
    return redirect(outcome.redirect or actions.case_url(kind, obj.pk))


def _moved(request: HttpRequest, kind: str, obj: Any) -> bool:
    """Whether the case recorded an event after the page the form came from was rendered."""
    try:
        seen = int(request.POST.get("seq", ""))
    except ValueError:
        return False
    return seen != actions.last_seq(kind, obj)


def _tz(kind: str, obj: Any) -> str:
    if kind == actions.DETAINER:
        return str(obj.facility.timezone)
    if kind == actions.SUBPOENA:
        return str(obj.recipient_lea.jurisdiction.timezone)
    if kind == actions.COURT_CASE:
        return str(obj.referral.subpoena.recipient_lea.jurisdiction.timezone)
    return str(obj.booking.facility.timezone)
