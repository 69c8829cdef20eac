"""Documents rendered from structured case data: Django templates → HTML → tagged PDF (PDF/UA-1, WeasyPrint).

Each kind has a context builder that reads the case and returns the document's fields; the same fragment is
used for the stand-alone document (``documents/base.html``) and inside an enforcement packet. Nothing is typed
in: every legally required field comes from the case record, and a missing fact refuses the render with a
message that names it.

Byte-for-byte reproducibility: the PDF's dates are the date of the event the document reflects, its file
identifier is derived from the document's identity, and font subsets carry a fixed timestamp
(``SOURCE_DATE_EPOCH``, read by fontTools). The same case data, templates, WeasyPrint and fonts give the same
bytes, so re-rendering an unchanged document does not create a new version.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import weasyprint
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from holdtrack.accounts.models import User
from holdtrack.audit.export import recorded_text
from holdtrack.audit.models import CaseType, Transition
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    ADMINISTRATIVE_WARRANTS,
    JUDICIAL_WARRANTS,
    Box,
    CourtCase,
    Detainer,
    DetainerState,
    EnforcementReferral,
    ItemCategory,
    PCBasis,
    RequestType,
    ResponseType,
    Subpoena,
    SubpoenaResponse,
    SubpoenaState,
    Warrant,
)
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.timeutil import iso, local
from holdtrack.custody.identity import person_subject_ids
from holdtrack.custody.models import IdentifierType, Subject
from holdtrack.documents.models import DocumentKind as K

# fontTools stamps the subset fonts with the current time unless this is set; a fixed value keeps the bytes
# of a re-render identical (https://reproducible-builds.org/specs/source-date-epoch/).
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")

RENDERER = f"WeasyPrint {weasyprint.__version__}"
PDF_VARIANT = "pdf/ua-1"
LANGUAGES = {"en": "English", "es": "Español"}
ADMIN_WARRANT_LABEL = "Administrative warrant — signed by an immigration officer; not a judicial warrant"
NOT_COURT_ORDER = "This is an administrative subpoena, not a court order."
SUBPOENA_AUTHORITY = "8 CFR 287.4(a)(1)"
ENFORCEMENT_BASIS = "8 U.S.C. 1225(d)(4)(B)"
# Labels printed on documents that exist in more than one language.
SERVICE_METHODS = {
    "IN_PERSON": gettext_lazy("In person"),
    "INMATE_MAIL": gettext_lazy("Inmate mail"),
    "OTHER": gettext_lazy("Other"),
}
RECORD_LABELS: dict[str, Any] = {
    CaseType.DETAINER: gettext_lazy("Detainer record"),
    CaseType.SUBPOENA: gettext_lazy("Subpoena"),
    CaseType.REFERRAL: gettext_lazy("Referral"),
    CaseType.COURT_CASE: gettext_lazy("Court case"),
}


@dataclass
class Rendered:
    """One document rendered from the case: its HTML, the fragment reused by packets, and its fields."""

    kind: str
    case_type: str
    case_id: int
    language: str
    title: str
    series: str
    as_of: datetime
    transition_id: int | None
    html: str
    body: SafeString
    # The legally required fields as printed (label → value); tests look for every value in the PDF text.
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        return f"{self.kind}/{self.case_type}/{self.case_id}/{self.language}/{self.series}"

    @property
    def source_sha256(self) -> str:
        return source_hash(self.html, self.identity)

    def pdf(self) -> bytes:
        return html_to_pdf(self.html, identity=self.identity)


# ----------------------------------------------------------------------------------------------- PDF


def data_only_fetcher() -> Any:
    """Documents are self-contained (inline CSS, data: images): the renderer fetches no file or URL."""
    return weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def source_hash(html: str, identity: str) -> str:
    """What determines the PDF's bytes besides the installed fonts: renderer, options, identifier and HTML."""
    return hashlib.sha256(f"{RENDERER}\n{PDF_VARIANT}\n{identity}\n{html}".encode()).hexdigest()


def html_to_pdf(html: str, *, identity: str) -> bytes:
    """Tagged PDF (PDF/UA-1): structure tree, document language and title from the HTML."""
    ident = hashlib.sha256(identity.encode()).hexdigest()[:32].encode()
    document = weasyprint.HTML(string=html, url_fetcher=data_only_fetcher(), base_url="about:blank")
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=ident)
    return pdf


# -------------------------------------------------------------------------------------------- helpers


def when(value: datetime | None, tz: str) -> str:
    return local(value, tz) if value else ""


def person(user: User | None) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.username
    return f"{name}, {user.title}" if user.title else name


def a_number(subject: Subject) -> str:
    ident = subject.identifiers.filter(type=IdentifierType.A_NUMBER).order_by("pk").first()
    return ident.value if ident else ""


def subject_rows(subject: Subject) -> list[tuple[str, str]]:
    return [
        ("Name", subject.display_name),
        ("Date of birth", subject.date_of_birth.isoformat() if subject.date_of_birth else "Not recorded"),
        ("Country of citizenship", subject.citizenship_country or "Not recorded"),
        ("Sex", subject.get_sex_display()),
        ("File number (A-number)", a_number(subject) or "None recorded"),
        ("Subject ID", str(subject.pk)),
    ]


def item_labels(items: list[str]) -> list[str]:
    labels = dict(ItemCategory.choices)
    return [str(labels.get(i, i)) for i in items]


def last_transition(case_type: str, case_id: int, *names: str) -> Transition | None:
    qs = Transition.objects.filter(case_type=case_type, case_id=case_id)
    if names:
        qs = qs.filter(name__in=names)
    return qs.order_by("-seq").first()


def channel_text(t: Transition) -> str:
    """How a step was entered; a step the counterpart recorded names its staff and the document (ADR 0019)."""
    return recorded_text(t) or str(t.get_channel_display())


def response_transition(s: Subpoena, response: SubpoenaResponse) -> Transition | None:
    for t in Transition.objects.filter(case_type=CaseType.SUBPOENA, case_id=s.pk).order_by("seq"):
        if (t.data or {}).get("response_id") == response.pk:
            return t
    return None


def subpoena_tz(s: Subpoena) -> str:
    return s.recipient_lea.jurisdiction.timezone


def _require(value: Any, message: str) -> None:
    if not value:
        raise ValidationFailed(message)


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
    _require(d.prepared_at, f"Detainer {d.pk} has no preparation record.")
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
        notice_target=when(projected - timedelta(hours=48), tz) if projected else "",
        notice_rule=clocks.R_NOTICE_48H.ref,
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
    _require(t, f"Detainer {d.pk} has no lift event in its log.")
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
    _require(d.served_at, f"Detainer {d.pk} has not been served on the subject; there is no service to prove.")
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


# ------------------------------------------------------------------------------------------- subpoenas


def _subpoena_common(s: Subpoena) -> dict[str, Any]:
    tz = subpoena_tz(s)
    return_clock = clocks.subpoena_return(s.served_at, s.return_days, tz) if s.served_at else None
    return {
        "s": s,
        "tz": tz,
        "subject_rows": subject_rows(s.subject),
        "recipient": f"{s.recipient_lea.name} (ORI {s.recipient_lea.ori})",
        "office": s.issuing_office.name,
        "items": item_labels(s.items),
        "issued_at": when(s.issued_at, tz),
        "issued_by_name": (s.issued_by.get_full_name() or s.issued_by.username) if s.issued_by else "",
        "issued_by_title": s.issuing_official_title,
        "issued_by_authority": s.issued_by.subpoena_authority if s.issued_by else "",
        "authority_citation": SUBPOENA_AUTHORITY,
        "served_at": when(s.served_at, tz),
        "service_method": s.service_method.replace("_", " ").lower() if s.service_method else "",
        "return_due": when(s.return_due_at, tz),
        "return_rule": s.return_rule,
        "return_explanation": return_clock.explanation if return_clock else "",
        "not_court_order": NOT_COURT_ORDER,
        "enforcement_basis": ENFORCEMENT_BASIS,
    }


def subpoena_document(s: Subpoena, lang: str, **kw: Any) -> dict[str, Any]:
    _require(
        s.issued_at and s.issued_by_id,
        f"Subpoena {s.pk} has not been issued; the document carries the signature of an authorized official.",
    )
    ctx = _subpoena_common(s)
    ctx.update(
        title=f"Administrative subpoena {s.pk} ({s.form_number})",
        template="documents/parts/subpoena.html",
        as_of=s.issued_at,
        transition=last_transition(CaseType.SUBPOENA, s.pk, "issue"),
        fields={
            "Subpoena": str(s.pk),
            "Statutory basis": s.statutory_basis,
            "Issuing official": ctx["issued_by_name"],
            "Issuing official title": s.issuing_official_title,
            "Authority": SUBPOENA_AUTHORITY,
            "Recipient": s.recipient_lea.name,
            "Subject name": s.subject.display_name,
            "Manner of return": s.return_manner,
            "Not a court order": NOT_COURT_ORDER,
            **{f"Item {i + 1}": label for i, label in enumerate(ctx["items"])},
            "Return": ctx["return_due"] or f"{s.return_days} days from service",
        },
    )
    return ctx


def subpoena_service_proof(s: Subpoena, lang: str, **kw: Any) -> dict[str, Any]:
    _require(s.served_at, f"Subpoena {s.pk} has not been served; there is no service to prove.")
    ctx = _subpoena_common(s)
    t = last_transition(CaseType.SUBPOENA, s.pk, "serve")
    ctx.update(
        title=f"Proof of service — administrative subpoena {s.pk}",
        template="documents/parts/service_proof_subpoena.html",
        as_of=s.served_at,
        transition=t,
        served_by=person(t.actor) if t else "",
        channel=channel_text(t) if t else "",
        fields={
            "Subpoena": str(s.pk),
            "Recipient": s.recipient_lea.name,
            "Served at": ctx["served_at"],
            "Method": ctx["service_method"],
            "Return date": ctx["return_due"],
            "Return rule": s.return_rule,
        },
    )
    return ctx


def _response(s: Subpoena, response_id: int | None, *, produced: bool = False) -> SubpoenaResponse:
    qs = s.responses.all()
    if produced:
        qs = qs.exclude(produced_items=[])
    if response_id is not None:
        r = qs.filter(pk=response_id).first()
        _require(r, f"Subpoena {s.pk} has no {'production' if produced else 'response'} {response_id}.")
    else:
        r = qs.order_by("-sent_at", "-pk").first()
        _require(r, f"Subpoena {s.pk} has no {'production of records' if produced else 'response'} recorded.")
    assert r is not None
    return r


def response_letter(s: Subpoena, lang: str, response_id: int | None = None, **kw: Any) -> dict[str, Any]:
    r = _response(s, response_id)
    ctx = _subpoena_common(s)
    tz = ctx["tz"]
    produced = item_labels(r.produced_items)
    withheld = item_labels([i for i in s.items if i not in r.produced_items])
    ctx.update(
        title=f"{r.get_response_type_display()} — subpoena {s.pk}",
        template="documents/parts/response_letter.html",
        series=f"response-{r.pk}",
        as_of=r.sent_at,
        transition=response_transition(s, r),
        r=r,
        response_type=r.get_response_type_display(),
        objection=r.response_type in (ResponseType.OBJECTION_LETTER, ResponseType.DECLINATION),
        sent_at=when(r.sent_at, tz),
        signed_by=person(r.approved_by),
        produced=produced,
        withheld=withheld,
        late=bool(s.return_due_at and r.sent_at > s.return_due_at),
        fields={
            "Subpoena": str(s.pk),
            "From": s.recipient_lea.name,
            "To": s.issuing_office.name,
            "Response": r.get_response_type_display(),
            "Sent": when(r.sent_at, tz),
            "Signed by": person(r.approved_by),
            **({"Grounds": r.grounds} if r.grounds else {}),
            **({"Legal basis": r.legal_basis} if r.legal_basis else {}),
            **{f"Produced {i + 1}": p for i, p in enumerate(produced)},
        },
    )
    return ctx


def custodian_certification(s: Subpoena, lang: str, response_id: int | None = None, **kw: Any) -> dict[str, Any]:
    r = _response(s, response_id, produced=True)
    ctx = _subpoena_common(s)
    tz = ctx["tz"]
    produced = item_labels(r.produced_items)
    ctx.update(
        title=f"Certification of custodian of records — subpoena {s.pk}",
        template="documents/parts/custodian_certification.html",
        series=f"response-{r.pk}",
        as_of=r.sent_at,
        transition=response_transition(s, r),
        r=r,
        custodian=person(r.approved_by),
        produced=produced,
        produced_at=when(r.sent_at, tz),
        court_ordered=r.response_type == ResponseType.PRODUCTION_UNDER_COURT_ORDER,
        fields={
            "Subpoena": str(s.pk),
            "Custodian": person(r.approved_by),
            "Agency": s.recipient_lea.name,
            "Produced at": when(r.sent_at, tz),
            **{f"Produced {i + 1}": p for i, p in enumerate(produced)},
        },
    )
    return ctx


# ------------------------------------------------------------------------------ clock history, record


CASE_LABEL: dict[str, str] = {
    CaseType.SUBPOENA: "Subpoena",
    CaseType.REFERRAL: "Referral",
    CaseType.COURT_CASE: "Court case",
}


def _rule_ids(data: dict[str, Any]) -> list[str]:
    rules = [c.get("rule", "") for c in data.get("clocks", []) if isinstance(c, dict)]
    if data.get("rule"):
        rules.append(str(data["rule"]))
    rules += [str(r) for r in data.get("policy_rules", [])]
    return [r for r in dict.fromkeys(rules) if r]


def enforcement_records(s: Subpoena) -> list[tuple[str, int]]:
    records: list[tuple[str, int]] = [(CaseType.SUBPOENA, s.pk)]
    referral = EnforcementReferral.objects.filter(subpoena=s).first()
    if referral is not None:
        records.append((CaseType.REFERRAL, referral.pk))
        case = CourtCase.objects.filter(referral=referral).first()
        if case is not None:
            records.append((CaseType.COURT_CASE, case.pk))
    return records


def clock_history(s: Subpoena, lang: str, **kw: Any) -> dict[str, Any]:
    ctx = _subpoena_common(s)
    tz = ctx["tz"]
    rows: list[dict[str, Any]] = []
    last_at = s.drafted_at
    for case_type, case_id in enforcement_records(s):
        for t in Transition.objects.filter(case_type=case_type, case_id=case_id).select_related("actor__organization"):
            data = t.data or {}
            rows.append(
                {
                    "sort": (t.at, t.pk),
                    "at": when(t.at, tz),
                    "record": f"{CASE_LABEL[case_type]} {case_id}",
                    "seq": t.seq,
                    "event": t.name.replace("_", " "),
                    "change": f"{t.source or '—'} → {t.target}" if t.source != t.target else f"{t.target} (no change)",
                    "role": t.actor_role.replace("_", " ").lower(),
                    "channel": recorded_text(t) or t.channel.replace("_", " ").lower(),
                    "rules": ", ".join(_rule_ids(data)),
                    "due": ", ".join(
                        f"{c.get('name', '').replace('_', ' ')} due {when(_parse(c.get('due_at')), tz)}"
                        for c in data.get("clocks", [])
                        if isinstance(c, dict) and c.get("due_at")
                    ),
                }
            )
            last_at = max(last_at, t.at)
    rows.sort(key=lambda r: r["sort"])
    current = []
    for c in clocks.subpoena_clocks(s):
        current.append({"label": c.label, "due": when(c.due_at, tz), "rule": c.rule, "why": c.explanation})
    for case_type, case_id in enforcement_records(s):
        if case_type == CaseType.COURT_CASE:
            for c in clocks.court_clocks(CourtCase.objects.get(pk=case_id)):
                current.append({"label": c.label, "due": when(c.due_at, tz), "rule": c.rule, "why": c.explanation})
    ctx.update(
        title=f"Clock history — subpoena {s.pk}",
        template="documents/parts/clock_history.html",
        as_of=last_at,
        transition=last_transition(CaseType.SUBPOENA, s.pk),
        rows=rows,
        current=current,
        fields={
            "Subpoena": str(s.pk),
            **{f"Rule {r['rule']}": r["rule"] for r in current},
        },
    )
    return ctx


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


NONCOMPLIANT_EVENTS = {
    "lapse": "No response by the return date",
    "decline": "Declined",
    "object": "Objected",
    "comply_partially": "Complied in part",
    "record_noncompliance": "Court comply-by date passed without compliance",
    "move_for_contempt": "Contempt motion",
    "find_contempt": "Civil contempt found",
}


def noncompliance_record(s: Subpoena, lang: str, **kw: Any) -> dict[str, Any]:
    ctx = _subpoena_common(s)
    tz = ctx["tz"]
    events: list[dict[str, Any]] = []
    last_at = s.issued_at or s.drafted_at
    for case_type, case_id in enforcement_records(s):
        for t in Transition.objects.filter(case_type=case_type, case_id=case_id, name__in=list(NONCOMPLIANT_EVENTS)):
            data = t.data or {}
            events.append(
                {
                    "sort": (t.at, t.pk),
                    "at": when(t.at, tz),
                    "record": f"{CASE_LABEL[case_type]} {case_id}",
                    "what": NONCOMPLIANT_EVENTS[t.name],
                    "rule": data.get("rule", ""),
                    "detail": t.reason,
                }
            )
            last_at = max(last_at, t.at)
    events.sort(key=lambda e: e["sort"])
    responses = []
    for r in s.responses.order_by("sent_at", "pk"):
        responses.append(
            {
                "type": r.get_response_type_display(),
                "sent": when(r.sent_at, tz),
                "produced": item_labels(r.produced_items),
                "withheld": item_labels([i for i in s.items if i not in r.produced_items]),
                "grounds": r.grounds,
                "legal_basis": r.legal_basis,
                "late": bool(s.return_due_at and r.sent_at > s.return_due_at),
            }
        )
        last_at = max(last_at, r.sent_at)
    compliant = s.state in (SubpoenaState.COMPLIED, SubpoenaState.COMPLIED_UNDER_ORDER)
    ctx.update(
        title=f"Non-compliance record — subpoena {s.pk}",
        template="documents/parts/noncompliance_record.html",
        as_of=last_at,
        transition=last_transition(CaseType.SUBPOENA, s.pk),
        events=events,
        responses=responses,
        state=s.get_state_display(),
        compliant=compliant,
        fields={
            "Subpoena": str(s.pk),
            "State": s.get_state_display(),
            "Return date": ctx["return_due"],
            **{f"Event {i + 1}": e["what"] for i, e in enumerate(events)},
            **{f"Grounds {i + 1}": r["grounds"] for i, r in enumerate(responses) if r["grounds"]},
        },
    )
    return ctx


def referral_memo(ref: EnforcementReferral, lang: str, **kw: Any) -> dict[str, Any]:
    s = ref.subpoena
    ctx = _subpoena_common(s)
    tz = ctx["tz"]
    record = noncompliance_record(s, lang)
    ctx.update(
        title=f"Referral memorandum — enforcement of administrative subpoena {s.pk}",
        template="documents/parts/referral_memo.html",
        as_of=ref.referred_at,
        transition=last_transition(CaseType.REFERRAL, ref.pk, "refer"),
        ref=ref,
        doj_office=ref.doj_office.name,
        district=ref.usao_district,
        referred_at=when(ref.referred_at, tz),
        referred_by=person(ref.referred_by),
        memo=ref.memo,
        events=record["events"],
        responses=record["responses"],
        state=s.get_state_display(),
        related_detainer=s.related_detainer_id,
        fields={
            "Referral": str(ref.pk),
            "Subpoena": str(s.pk),
            "To": ref.doj_office.name,
            "District": ref.usao_district,
            "Referred by": person(ref.referred_by),
            "Statutory basis": s.statutory_basis,
            "Enforcement basis": ENFORCEMENT_BASIS,
            "Issuing official": ctx["issued_by_name"],
            "Served at": ctx["served_at"],
            "Return date": ctx["return_due"],
            "Subject name": s.subject.display_name,
        },
    )
    return ctx


# --------------------------------------------------------------------------------------------- registry

Builder = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    builder: Builder
    languages: tuple[str, ...] = ("en",)


SPECS: dict[tuple[str, str], Spec] = {
    (K.DETAINER_FORM, CaseType.DETAINER): Spec(detainer_form),
    (K.NOTIFICATION_REQUEST, CaseType.DETAINER): Spec(notification_request),
    (K.DETAINER_CANCELLATION, CaseType.DETAINER): Spec(cancellation_notice),
    (K.SUBJECT_NOTICE, CaseType.DETAINER): Spec(subject_notice, ("en", "es")),
    (K.SERVICE_PROOF, CaseType.DETAINER): Spec(detainer_service_proof),
    (K.SUBPOENA, CaseType.SUBPOENA): Spec(subpoena_document),
    (K.SERVICE_PROOF, CaseType.SUBPOENA): Spec(subpoena_service_proof),
    (K.RESPONSE_LETTER, CaseType.SUBPOENA): Spec(response_letter),
    (K.CUSTODIAN_CERTIFICATION, CaseType.SUBPOENA): Spec(custodian_certification),
    (K.CLOCK_HISTORY, CaseType.SUBPOENA): Spec(clock_history),
    (K.NONCOMPLIANCE_RECORD, CaseType.SUBPOENA): Spec(noncompliance_record),
    (K.REFERRAL_MEMO, CaseType.REFERRAL): Spec(referral_memo),
}
RENDERABLE_KINDS = frozenset(kind for kind, _ in SPECS)

CASE_MODELS: dict[str, type[Any]] = {
    CaseType.DETAINER: Detainer,
    CaseType.SUBPOENA: Subpoena,
    CaseType.REFERRAL: EnforcementReferral,
    CaseType.COURT_CASE: CourtCase,
}


def spec_for(kind: str, case_type: str, language: str) -> Spec:
    spec = SPECS.get((kind, case_type))
    if spec is None:
        kinds = sorted(k for k, ct in SPECS if ct == case_type)
        raise ValidationFailed(
            f"A {kind.replace('_', ' ').lower()} is not rendered for a {case_type.replace('_', ' ')}"
            + (f"; renderable kinds: {', '.join(kinds)}." if kinds else ".")
        )
    if language not in spec.languages:
        raise ValidationFailed(
            f"The {kind.replace('_', ' ').lower()} is available in {', '.join(spec.languages)}, not {language!r}."
        )
    return spec


def load_case(case_type: str, case_id: int) -> Any:
    model = CASE_MODELS.get(case_type)
    if model is None:
        raise ValidationFailed(f"Unknown case type {case_type!r}.")
    obj = model._default_manager.filter(pk=case_id).first()
    if obj is None:
        raise ValidationFailed(f"{case_type.replace('_', ' ').capitalize()} {case_id} does not exist.")
    return obj


def render_document(
    kind: str, case_type: str, case: Any, *, language: str = "en", response_id: int | None = None
) -> Rendered:
    """Build the context from the case and render the HTML (in ``language``) of one document."""
    spec = spec_for(kind, case_type, language)
    with translation.override(language):
        ctx = spec.builder(case, language, response_id=response_id)
        ctx.update(kind=kind, case_type=case_type, case_id=case.pk, lang=language)
        body = mark_safe(render_to_string(ctx["template"], ctx))  # noqa: S308 - rendered by our own template
        html = render_to_string(
            "documents/base.html",
            {
                "lang": language,
                "title": ctx["title"],
                "as_of": iso(ctx["as_of"]),
                "author": ctx.get("office", ""),
                "record": f"{RECORD_LABELS[case_type]} {case.pk}",
                "body": body,
            },
        )
    t = ctx.get("transition")
    return Rendered(
        kind=kind,
        case_type=case_type,
        case_id=case.pk,
        language=language,
        title=str(ctx["title"]),
        series=ctx.get("series", ""),
        as_of=ctx["as_of"],
        transition_id=t.pk if t is not None else None,
        html=html,
        body=body,
        fields={k: str(v) for k, v in ctx.get("fields", {}).items() if v},
    )
