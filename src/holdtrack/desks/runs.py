"""What each case-page action does: the call of its service and the message shown after it (``desks.actions``
decides when each is offered). Also the names the desks share: case kinds, their pages, the stale-form error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from holdtrack.accounts.models import User
from holdtrack.audit.models import CaseType, Channel
from holdtrack.cases.models import ACTIVE_STATES, CourtCase, Detainer, DetainerState, Subpoena
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.errors import DomainError
from holdtrack.core.memo import once
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.identity import open_claim_for_person
from holdtrack.custody.models import CitizenshipClaim, IdentityMatch

D = DetainerState

DETAINER = "detainer"
SUBPOENA = "subpoena"
COURT_CASE = "court_case"
MATCH = "match"

CASE_TYPES = {
    DETAINER: CaseType.DETAINER,
    SUBPOENA: CaseType.SUBPOENA,
    COURT_CASE: CaseType.COURT_CASE,
    MATCH: CaseType.IDENTITY_MATCH,
}
URL_NAMES = {
    DETAINER: "desks:detainer",
    SUBPOENA: "desks:subpoena",
    COURT_CASE: "desks:court_case",
    MATCH: "desks:match",
}
# The path segment of each kind's pages; its actions live under the same one (``/court-cases/1/actions/…``).
URL_SEGMENTS = {DETAINER: "detainers", SUBPOENA: "subpoenas", COURT_CASE: "court-cases", MATCH: "matches"}


class StaleForm(DomainError):
    """The case changed after the form was rendered."""

    code = "stale"


STALE_MESSAGE = (
    "This case changed after you opened the page (someone else recorded an event). Nothing was saved. "
    "Check the timeline below, then submit again if the action still applies."
)


@dataclass(frozen=True)
class Outcome:
    message: str
    redirect: str = ""  # another page to go to (a new detainer, subpoena or court case); empty: this case


# ------------------------------------------------------------------------------------------------ party


def _open_claim(subject_id: int) -> CitizenshipClaim | None:
    # A claim on any record of the person; asked by the page and by two of its actions, read once per page.
    return once(("desks.open_claim", subject_id), lambda: open_claim_for_person(subject_id))


def via(data: dict[str, Any]) -> dict[str, Any]:
    """The channel of a submitted form: the counterpart's recording from a document (``desks.recording``
    adds the ``source_document`` field), else none (the acting party's own act)."""
    document = data.get("source_document") or ""
    return {"channel": Channel.STAFF_RECORDED, "source_document": document} if document else {}


def case_url(kind: str, pk: int) -> str:
    return reverse(URL_NAMES[kind], args=[pk])


# --------------------------------------------------------------------------------------- identity match


def _match_review(u: User, m: IdentityMatch, data: dict[str, Any]) -> Outcome:
    confirm = data["decision"] == "confirm"
    cs.identity_match_review(
        actor=u, match=m, confirm=confirm, reason=data["reason"], override_conflict=bool(data.get("override_conflict"))
    )
    return Outcome(
        "Match confirmed: the booked and registry records are one person; a detainer may now be prepared."
        if confirm
        else "Match rejected."
    )


def _match_revoke(u: User, m: IdentityMatch, data: dict[str, Any]) -> Outcome:
    cs.identity_match_revoke(actor=u, match=m, reason=data["reason"])
    return Outcome("Match revoked: the records are separate again; detainers resting on it were lifted.")


def _match_prepare(u: User, m: IdentityMatch, data: dict[str, Any]) -> Outcome:
    d = ds.detainer_prepare(
        actor=u,
        booking=m.booking,
        identity_match=m,
        form_type=data["form_type"],
        request_type=data["request_type"] or None,
        box=data["box"],
        pc_bases=data["pc_bases"],
        charging_document=data["charging_document"],
    )
    return Outcome(
        f"Detainer {d.pk} prepared. Attach its warrant before a supervisor approves it.", case_url(DETAINER, d.pk)
    )


# ------------------------------------------------------------------------------------------- detainers


def _warrant(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.warrant_attach(
        actor=u,
        detainer=d,
        warrant_type=data["warrant_type"],
        signed_by_name=data["signed_by_name"],
        signed_by_title=data["signed_by_title"],
        signed_at=data["signed_at"],
        number=data["number"],
        court=data["court"],
        **via(data),
    )
    return Outcome("Warrant attached.")


def _confirm_judicial(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    warrant = d.warrants.get(pk=int(data["warrant"]))
    ds.warrant_confirm_judicial(actor=u, warrant=warrant, note_text=data.get("note") or "")
    return Outcome("Judicial warrant confirmed: local law now reads it as a court's warrant.")


def _approve(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.detainer_approve(actor=u, detainer=d, **via(data))
    return Outcome("Detainer approved. It can now be transmitted to the law enforcement agency.")


def _transmit(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.detainer_transmit(actor=u, detainer=d, **via(data))
    return Outcome("Detainer transmitted to the law enforcement agency.")


def _receive(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    d = ds.detainer_receive(actor=u, detainer=d, **via(data))
    return Outcome(f"Receipt recorded. Validation result: {d.get_state_display()}.")


def _serve(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.detainer_serve_subject(actor=u, detainer=d, method=data["method"], language=data["language"], **via(data))
    return Outcome("Service of the detainer on the subject recorded.")


def _decide(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    d = ds.detainer_decide(actor=u, detainer=d, decision=data["decision"], reason=data["reason"], **via(data))
    return Outcome(f"Decision recorded: {d.get_state_display()}.")


def _eligible(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    cs.booking_record_release_eligibility(
        actor=u, booking=d.booking, at=data["at"] or now(), reason=data["reason"], **via(data)
    )
    d.refresh_from_db()
    if d.state == D.HOLD_IN_EFFECT:
        return Outcome("Release eligibility recorded. The hold is in effect until its ceiling.")
    return Outcome(f"Release eligibility recorded. The detainer is now: {d.get_state_display()}.")


def _release(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    cs.booking_release(
        actor=u, booking=d.booking, at=data["at"] or now(), release_type=data["release_type"], **via(data)
    )
    d.refresh_from_db()
    return Outcome(f"Release recorded. The detainer is now: {d.get_state_display()}.")


def _transfer(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.detainer_transfer_custody(actor=u, detainer=d, **via(data))
    return Outcome("Custody transfer to the agency recorded.")


def _lift(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.detainer_lift(actor=u, detainer=d, reason=data["reason"], note_text=data["note_text"], **via(data))
    return Outcome("Detainer lifted.")


def _neutral(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    ds.detainer_record_neutral_review(actor=u, detainer=d, result=data["result"], reason=data["reason"])
    return Outcome("Neutral probable-cause review recorded.")


def _claim_open(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    cs.citizenship_claim_open(actor=u, subject=d.subject, basis=data["basis"])
    return Outcome("Citizenship claim recorded. No hold may start or continue while it is open.")


def _claim_resolve(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    claim = _open_claim(d.subject_id)
    if claim is None:
        raise StaleForm("The citizenship claim was resolved meanwhile. Reload the case to see what changed.")
    cs.citizenship_claim_resolve(
        actor=u, claim=claim, verified_citizen=data["outcome"] == "citizen", notes=data["notes"]
    )
    return Outcome("Citizenship claim resolved.")


def _draft_subpoena(u: User, d: Detainer, data: dict[str, Any]) -> Outcome:
    s = ss.subpoena_draft(
        actor=u,
        recipient_lea=d.addressed_lea,
        subject=d.subject,
        items=data["items"],
        return_days=data["return_days"],
        related_detainer=d,
    )
    return Outcome(f"Subpoena {s.pk} drafted. An authorized official signs it next.", case_url(SUBPOENA, s.pk))


LEA_OPEN = (D.RECEIVED, D.VALIDATION_FAILED, D.UNDER_POLICY_REVIEW, *ACTIVE_STATES, D.CITIZENSHIP_REVIEW)


def _in_custody(d: Detainer) -> bool:
    return d.booking.released_at is None


# ------------------------------------------------------------------------------------------- subpoenas


def _issue(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    ss.subpoena_issue(actor=u, subpoena=s)
    return Outcome("Subpoena signed and issued.")


def _sub_serve(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    s = ss.subpoena_serve(actor=u, subpoena=s, method=data["method"], **via(data))
    return Outcome("Service recorded. The return date now runs.")


def _acknowledge(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    ss.subpoena_acknowledge(actor=u, subpoena=s, **via(data))
    return Outcome("Subpoena acknowledged and docketed for legal review.")


def _respond(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    ss.subpoena_respond(
        actor=u,
        subpoena=s,
        response_type=data["response_type"],
        produced_items=data["produced_items"],
        grounds=data["grounds"],
        legal_basis=data["legal_basis"],
        **via(data),
    )
    return Outcome("Response recorded.")


def _refer(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    ss.subpoena_refer(actor=u, subpoena=s, doj_office=data["doj_office"], memo=data["memo"])
    return Outcome("Non-compliance referred to the Department of Justice.")


def _withdraw(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    ss.subpoena_withdraw(actor=u, subpoena=s, reason=data["reason"])
    return Outcome("Subpoena withdrawn.")


def _referral_decline(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    ss.referral_decline(actor=u, referral=s.referral, reason=data["reason"])
    return Outcome("Referral declined; the subpoena is withdrawn.")


def _petition(u: User, s: Subpoena, data: dict[str, Any]) -> Outcome:
    c = ss.court_petition_file(actor=u, referral=s.referral, court=data["court"], case_number=data["case_number"])
    return Outcome("Enforcement petition filed.", case_url(COURT_CASE, c.pk))


# ----------------------------------------------------------------------------------------- court cases


def _order(u: User, c: CourtCase, data: dict[str, Any]) -> Outcome:
    ss.court_order_record(
        actor=u,
        case=c,
        order_type=data["order_type"],
        issued_at=data["issued_at"],
        issued_by=data["issued_by"],
        comply_within_days=data["comply_within_days"],
        terms=data["terms"],
    )
    return Outcome("Court order recorded.")


def _court_step(u: User, c: CourtCase, data: dict[str, Any]) -> Outcome:
    ss.court_case_advance(actor=u, case=c, action=data["step"], reason=data["reason"])
    return Outcome("Court step recorded.")


def _compliance(u: User, c: CourtCase, data: dict[str, Any]) -> Outcome:
    ss.court_compliance_record(actor=u, case=c, produced_items=data["produced_items"] or None)
    return Outcome("Compliance under the court order recorded.")
