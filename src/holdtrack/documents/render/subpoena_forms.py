"""Context builders of the subpoena documents: the subpoena, proof of service, the response letter and the
custodian's certification."""

from __future__ import annotations

from typing import Any

from holdtrack.audit.models import CaseType
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    ResponseType,
    Subpoena,
    SubpoenaResponse,
)
from holdtrack.documents.render.fields import (
    ENFORCEMENT_BASIS,
    NOT_COURT_ORDER,
    SUBPOENA_AUTHORITY,
    channel_text,
    item_labels,
    last_transition,
    person,
    require,
    response_transition,
    subject_rows,
    subpoena_tz,
    when,
)

# ------------------------------------------------------------------------------------------- subpoenas


def subpoena_common(s: Subpoena) -> dict[str, Any]:
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
    require(
        s.issued_at and s.issued_by_id,
        f"Subpoena {s.pk} has not been issued; the document carries the signature of an authorized official.",
    )
    ctx = subpoena_common(s)
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
    require(s.served_at, f"Subpoena {s.pk} has not been served; there is no service to prove.")
    ctx = subpoena_common(s)
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
        require(r, f"Subpoena {s.pk} has no {'production' if produced else 'response'} {response_id}.")
    else:
        r = qs.order_by("-sent_at", "-pk").first()
        require(r, f"Subpoena {s.pk} has no {'production of records' if produced else 'response'} recorded.")
    assert r is not None
    return r


def response_letter(s: Subpoena, lang: str, response_id: int | None = None, **kw: Any) -> dict[str, Any]:
    r = _response(s, response_id)
    ctx = subpoena_common(s)
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
    ctx = subpoena_common(s)
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
