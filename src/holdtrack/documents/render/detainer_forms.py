"""Context builders of the detainer documents: the form, notification request, cancellation, the subject's
notice and proof of service."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from holdtrack.audit.models import CaseType
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    ADMINISTRATIVE_WARRANTS,
    JUDICIAL_WARRANTS,
    Box,
    Detainer,
    DetainerState,
    PCBasis,
    RequestType,
    Warrant,
)
from holdtrack.core.errors import ValidationFailed
from holdtrack.custody.identity import person_subject_ids
from holdtrack.custody.models import Subject
from holdtrack.documents.render.fields import (
    ADMIN_WARRANT_LABEL,
    LANGUAGES,
    SERVICE_METHODS,
    channel_text,
    last_transition,
    person,
    require,
    subject_rows,
    when,
)

# ------------------------------------------------------------------------------------------- detainers


def _detainer_common(d: Detainer) -> dict[str, Any]:
    tz = d.facility.timezone
    return {
        "d": d,
        "tz": tz,
        "subject_rows": subject_rows(d.subject),
        "lea": f"{d.addressed_lea.name} (ORI {d.addressed_lea.ori})",
        "facility": f"{d.facility.name} (facility code {d.facility.code})",
        "office": d.issuing_office.name,
        "booking_number": d.booking.booking_number,
        "form_label": d.get_form_type_display(),
        "form_number": str(d.get_form_type_display()).split(" ")[0],
        "form_revision": d.form_revision,
        "dated": when(d.approved_at or d.prepared_at, tz),
        "prepared_by": person(d.prepared_by),
        "approved_by": person(d.approved_by),
        "approved_at": when(d.approved_at, tz),
        "policy_hits": list((d.policy_at_prepare or {}).get("hits", [])),
    }


def _warrant_view(w: Warrant, tz: str) -> dict[str, Any]:
    administrative = w.warrant_type in ADMINISTRATIVE_WARRANTS and not w.is_judicial
    return {
        "type": w.get_warrant_type_display(),
        # The label follows the type, never a free-text field: an I-200/I-205/I-203 is never judicial.
        "label": ADMIN_WARRANT_LABEL
        if administrative
        else f"Judicial warrant — issued by {w.court}"
        if w.warrant_type in JUDICIAL_WARRANTS
        else "Warrant",
        "administrative": administrative,
        "number": w.number or "Not recorded",
        "signed_by": f"{w.signed_by_name}, {w.signed_by_title}",
        "court": w.court,
        "signed_at": when(w.signed_at, tz),
        "attached_at": when(w.attached_at, tz),
        "document_sha256": w.document.sha256 if w.document_id and w.document else "",
    }


def detainer_form(d: Detainer, lang: str, **kw: Any) -> dict[str, Any]:
    require(d.prepared_at, f"Detainer {d.pk} has no preparation record.")
    ctx = _detainer_common(d)
    tz = ctx["tz"]
    warrants = [_warrant_view(w, tz) for w in d.warrants.order_by("attached_at", "pk")]
    if d.request_type == RequestType.HOLD and not any(w["administrative"] for w in warrants):
        raise ValidationFailed(
            f"Detainer {d.pk} has no I-200 or I-205 attached; a hold request is not issued without one "
            "(ICE Policy 10074.2)."
        )
    bases = [(str(label), value in (d.pc_bases or [])) for value, label in PCBasis.choices]
    t = last_transition(CaseType.DETAINER, d.pk, "approve", "prepare")
    ctx.update(
        title=f"{d.get_form_type_display()} — detainer {d.pk}",
        template="documents/parts/detainer_form.html",
        as_of=d.approved_at or d.prepared_at,
        transition=t,
        box1=d.box == Box.PC_REMOVABLE,
        box2=d.box == Box.DHS_TRANSFERRED,
        bases=bases,
        charging_document=d.get_charging_document_display(),
        hold=d.request_type == RequestType.HOLD,
        request_label=d.get_request_type_display(),
        warrants=warrants,
        served=when(d.served_at, tz),
        service_method=d.get_service_method_display() if d.served_at else "",
        service_language=LANGUAGES.get(d.service_language, d.service_language),
        neutral_review=d.neutral_review_required,
        neutral_result=d.get_neutral_review_result_display() if d.neutral_review_result else "",
        ceiling_rule=clocks.R_HOLD_48H.ref,
        ceiling_hours=clocks.R_HOLD_48H.hours,
        ceiling_citation=clocks.R_HOLD_48H.citation,
        fields={
            "Detainer": str(d.pk),
            "Subject name": d.subject.display_name,
            "Date of birth": ctx["subject_rows"][1][1],
            "Booking number": d.booking.booking_number,
            "Addressed LEA": d.addressed_lea.name,
            "Issuing office": d.issuing_office.name,
            "Form": d.get_form_type_display(),
            "Prepared by": ctx["prepared_by"],
            **{f"Warrant {i + 1}": w["type"] for i, w in enumerate(warrants)},
            **{f"Warrant {i + 1} label": w["label"] for i, w in enumerate(warrants) if w["administrative"]},
        },
    )
    for value, label in PCBasis.choices:
        if value in (d.pc_bases or []):
            ctx["fields"][f"Basis {value}"] = str(label)
    return ctx


def notification_request(d: Detainer, lang: str, **kw: Any) -> dict[str, Any]:
    ctx = _detainer_common(d)
    tz = ctx["tz"]
    projected = d.booking.projected_release_at
    t = last_transition(CaseType.DETAINER, d.pk, "approve", "prepare")
    ctx.update(
        title=f"Request for notification of release — detainer {d.pk}",
        template="documents/parts/notification_request.html",
        as_of=d.approved_at or d.prepared_at,
        transition=t,
        projected=when(projected, tz) or "Not recorded",
        notice_target=when(clocks.R_NOTICE_48H.before(projected), tz) if projected else "",
        notice_rule=clocks.R_NOTICE_48H.ref,
        notice_hours=clocks.R_NOTICE_48H.hours,
        notice_citation=clocks.R_NOTICE_48H.citation,
        notify_allowed=(d.policy_at_prepare or {}).get("notify_allowed", True),
        fields={
            "Detainer": str(d.pk),
            "Subject name": d.subject.display_name,
            "Booking number": d.booking.booking_number,
            "Addressed LEA": d.addressed_lea.name,
            "Issuing office": d.issuing_office.name,
            "Rule": clocks.R_NOTICE_48H.ref,
        },
    )
    return ctx


def cancellation_notice(d: Detainer, lang: str, **kw: Any) -> dict[str, Any]:
    if d.state != DetainerState.LIFTED and not d.lift_reason:
        raise ValidationFailed(
            f"Detainer {d.pk} is '{d.get_state_display()}', not lifted; a cancellation notice follows a lift."
        )
    ctx = _detainer_common(d)
    tz = ctx["tz"]
    t = last_transition(CaseType.DETAINER, d.pk, "lift")
    require(t, f"Detainer {d.pk} has no lift event in its log.")
    assert t is not None
    ctx.update(
        title=f"Cancellation of detainer {d.pk}",
        template="documents/parts/cancellation_notice.html",
        as_of=t.at,
        transition=t,
        lifted_at=when(t.at, tz),
        lifted_by=person(t.actor),
        lift_reason=d.lift_reason,
        note=t.reason,
        issued=when(d.transmitted_at, tz) or "Not transmitted",
        hold_ended=when(d.hold_ended_at, tz) if (t.data or {}).get("hold_ended_at") else "",
        fields={
            "Detainer": str(d.pk),
            "Subject name": d.subject.display_name,
            "Booking number": d.booking.booking_number,
            "Addressed LEA": d.addressed_lea.name,
            "Lift reason": d.lift_reason,
            "Lifted at": when(t.at, tz),
        },
    )
    return ctx


def _other_names(d: Detainer) -> list[str]:
    booked = d.booking.subject.display_name
    records = Subject.objects.filter(pk__in=person_subject_ids(d.subject_id)).order_by("pk")
    names = dict.fromkeys(s.display_name for s in records)
    return [n for n in names if n != booked]


def subject_notice(d: Detainer, lang: str, **kw: Any) -> dict[str, Any]:
    ctx = _detainer_common(d)
    tz = ctx["tz"]
    t = last_transition(CaseType.DETAINER, d.pk, "serve_subject") or last_transition(
        CaseType.DETAINER, d.pk, "approve", "prepare"
    )
    # Until the LEA confirmed a judicial warrant, the notice reads it the protective way: no judge signed.
    admin_only = not d.warrants.filter(is_judicial=True, judicial_confirmed_at__isnull=False).exists()
    ctx.update(
        # Printed in the notice's language: no English words beside the facility's name and code.
        facility=f"{d.facility.name} ({d.facility.code})",
        title=_("Notice to the person named in an immigration detainer"),
        template="documents/parts/subject_notice.html",
        as_of=d.served_at or d.approved_at or d.prepared_at,
        transition=t,
        hold=d.request_type == RequestType.HOLD,
        admin_only=admin_only,
        served=when(d.served_at, tz),
        service_method=str(SERVICE_METHODS.get(d.service_method, d.service_method)) if d.served_at else "",
        # The person knows the name they were booked under; the other records of the person (the registry's
        # spelling, an earlier booking) are printed beside it so that the notice reaches them whichever is used.
        subject_name=d.booking.subject.display_name,
        other_names=_other_names(d),
        dob=d.subject.date_of_birth.isoformat() if d.subject.date_of_birth else "",
        fields={
            "Subject name": d.subject.display_name,
            "Detainer": str(d.pk),
            "Issuing office": d.issuing_office.name,
            "Addressed LEA": d.addressed_lea.name,
            "Facility": d.facility.name,
        },
    )
    return ctx


def detainer_service_proof(d: Detainer, lang: str, **kw: Any) -> dict[str, Any]:
    require(d.served_at, f"Detainer {d.pk} has not been served on the subject; there is no service to prove.")
    ctx = _detainer_common(d)
    tz = ctx["tz"]
    t = last_transition(CaseType.DETAINER, d.pk, "serve_subject")
    ctx.update(
        title=f"Proof of service on the subject — detainer {d.pk}",
        template="documents/parts/service_proof_detainer.html",
        as_of=d.served_at,
        transition=t,
        served=when(d.served_at, tz),
        service_method=d.get_service_method_display(),
        service_language=LANGUAGES.get(d.service_language, d.service_language) or "Not recorded",
        served_by=person(t.actor) if t else "",
        channel=channel_text(t) if t else "",
        fields={
            "Detainer": str(d.pk),
            "Subject name": d.subject.display_name,
            "Served at": when(d.served_at, tz),
            "Method": d.get_service_method_display(),
            "Facility": d.facility.name,
        },
    )
    return ctx
