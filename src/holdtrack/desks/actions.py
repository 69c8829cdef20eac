"""Which actions a case page offers: one table, each row naming the roles, the states (and the party) that
make the action available, its form, and the service it calls.

The table only decides what to *show*; the services own the real guards (row lock, state, party, local law,
warrant, citizenship claim …) and refuse anything the table let through by mistake. A POST of an action the
table does not offer is refused before any service runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.urls import reverse

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role, User
from holdtrack.audit.models import CaseType, Channel, Transition
from holdtrack.cases.models import (
    ACTIVE_STATES,
    SUBPOENA_NONCOMPLIANT,
    TERMINAL_STATES,
    CourtCase,
    CourtState,
    Detainer,
    DetainerState,
    ReferralState,
    Subpoena,
    SubpoenaState,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.errors import DomainError
from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.custody.identity import open_claim_for_person
from holdtrack.custody.models import CitizenshipClaim, IdentityMatch, MatchStatus
from holdtrack.desks import forms as f

D = DetainerState
SS = SubpoenaState
CS = CourtState

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

OFFICERS = frozenset({Role.AGENCY_OFFICER, Role.AGENCY_SUPERVISOR})
SUPERVISOR = frozenset({Role.AGENCY_SUPERVISOR})
LEA = frozenset(LEA_ROLES)
LEA_COUNSEL = frozenset({Role.LEA_COUNSEL})
COUNSEL = frozenset({Role.DOJ_ATTORNEY, Role.AGENCY_COUNSEL})
DOJ = frozenset({Role.DOJ_ATTORNEY})


class StaleForm(DomainError):
    """The case changed after the form was rendered."""

    code = "stale"


@dataclass(frozen=True)
class Outcome:
    message: str
    redirect: str = ""  # another page to go to (a new detainer, subpoena or court case); empty: this case


@dataclass(frozen=True)
class Action:
    key: str
    kind: str
    label: str
    roles: frozenset[str]
    form: type[f.ActionForm]
    allowed: Callable[[User, Any], bool]
    run: Callable[[User, Any, dict[str, Any]], Outcome]
    hint: str = ""
    warning: bool = False  # an action that ends or withdraws something: shown with a secondary style

    @property
    def dom_id(self) -> str:
        return f"action-{self.key}"

    def url(self, pk: int) -> str:
        return reverse("desks:case_action", args=[self.kind, pk, self.key])


# ------------------------------------------------------------------------------------------------ party


def _agency_office(user: User, office_id: int) -> bool:
    return user.organization_id == office_id


def _lea(user: User, lea_id: int) -> bool:
    org = user.organization
    return org is not None and org.lea_id == lea_id


def _open_claim(subject_id: int) -> CitizenshipClaim | None:
    return open_claim_for_person(subject_id)  # a claim on any record of the person


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


def _open_referral(u: User, s: Subpoena) -> bool:
    ref = getattr(s, "referral", None)
    return ref is not None and ref.state == ReferralState.OPEN and ref.doj_office_id == u.organization_id


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


COURT_OPEN = (CS.PETITION_FILED, CS.OSC_ISSUED, CS.BRIEFING, CS.HEARING, CS.UNDER_ADVISEMENT, CS.OBJECTION_OR_APPEAL)
COURT_ORDERABLE = (*COURT_OPEN, CS.ENFORCED, CS.NONCOMPLIANCE, CS.CONTEMPT_MOTION, CS.CONTEMPT_FOUND)


def _court_party(u: User, c: CourtCase) -> bool:
    if u.role in LEA_ROLES:
        return _lea(u, c.referral.subpoena.recipient_lea_id)
    return True  # counsel: scope already limits the case to their office or area


# ------------------------------------------------------------------------------------------------ table

ACTIONS: list[Action] = [
    # identity match
    Action(
        "review",
        MATCH,
        "Review the match",
        OFFICERS,
        f.MatchReviewForm,
        lambda u, m: m.status == MatchStatus.PROPOSED,
        _match_review,
        hint="A probable match never causes legal action by itself: a named officer confirms or rejects it. "
        "A match across conflicting FBI numbers is confirmed only by a supervisor's override.",
    ),
    Action(
        "revoke",
        MATCH,
        "Revoke the confirmed match",
        OFFICERS,
        f.MatchRevokeForm,
        lambda u, m: m.status == MatchStatus.CONFIRMED,
        _match_revoke,
        hint="When the confirmed person turns out to be someone else. The claim guards run again on both records.",
        warning=True,
    ),
    Action(
        "prepare",
        MATCH,
        "Prepare a detainer",
        OFFICERS,
        f.DetainerPrepareForm,
        lambda u, m: (
            m.status == MatchStatus.CONFIRMED
            and not Detainer.objects.filter(identity_match=m).exists()
            and m.booking.released_at is None
        ),
        _match_prepare,
        hint="Local law of the jurisdiction is evaluated and shown on the detainer; the LEA applies it.",
    ),
    # detainers: agency side
    Action(
        "attach-warrant",
        DETAINER,
        "Attach a warrant",
        OFFICERS,
        f.WarrantAttachForm,
        lambda u, d: (
            d.state in (D.PREPARED, D.APPROVED, D.TRANSMITTED, D.VALIDATION_FAILED)
            and _agency_office(u, d.issuing_office_id)
        ),
        _warrant,
        hint="A hold request needs an I-200 or I-205. An administrative warrant is never recorded as judicial.",
    ),
    Action(
        "approve",
        DETAINER,
        "Approve the detainer",
        SUPERVISOR,
        f.EmptyForm,
        lambda u, d: d.state == D.PREPARED and _agency_office(u, d.issuing_office_id),
        _approve,
        hint="The approving supervisor cannot be the officer who prepared it.",
    ),
    Action(
        "transmit",
        DETAINER,
        "Transmit to the LEA",
        OFFICERS,
        f.EmptyForm,
        lambda u, d: d.state == D.APPROVED and _agency_office(u, d.issuing_office_id),
        _transmit,
    ),
    Action(
        "neutral-review",
        DETAINER,
        "Record the neutral probable-cause review",
        frozenset({Role.AGENCY_COUNSEL}),
        f.NeutralReviewForm,
        lambda u, d: (
            d.neutral_review_required
            and not d.neutral_review_result
            and d.state not in TERMINAL_STATES
            and _agency_office(u, d.issuing_office_id)
        ),
        _neutral,
    ),
    Action(
        "transfer-custody",
        DETAINER,
        "Record the custody transfer",
        OFFICERS,
        f.EmptyForm,
        lambda u, d: (
            (d.state == D.HOLD_IN_EFFECT or (d.state in ACTIVE_STATES and d.booking.release_eligible_at))
            and _agency_office(u, d.issuing_office_id)
            and _in_custody(d)
        ),
        _transfer,
        hint="Refused once the hold ceiling has passed.",
    ),
    # detainers: LEA side
    Action(
        "receive",
        DETAINER,
        "Record receipt",
        LEA,
        f.EmptyForm,
        lambda u, d: d.state == D.TRANSMITTED and _lea(u, d.addressed_lea_id),
        _receive,
        hint="Validation (warrant attached, probable cause stated, subject in custody) runs at once.",
    ),
    Action(
        "serve-subject",
        DETAINER,
        "Serve the subject's copy",
        LEA,
        f.ServeSubjectForm,
        lambda u, d: d.served_at is None and d.state in LEA_OPEN and _lea(u, d.addressed_lea_id) and _in_custody(d),
        _serve,
    ),
    Action(
        "confirm-judicial",
        DETAINER,
        "Confirm a judicial warrant",
        LEA_COUNSEL,
        f.WarrantConfirmForm,
        lambda u, d: (
            d.state in LEA_OPEN
            and _lea(u, d.addressed_lea_id)
            and d.warrants.filter(is_judicial=True, judicial_confirmed_at=None).exists()
        ),
        _confirm_judicial,
        hint="The agency records what it attaches; a policy that needs a judge's warrant relies on it only once "
        "you confirm a court issued it and a judge signed it.",
    ),
    Action(
        "decide",
        DETAINER,
        "Decide under local law",
        LEA_COUNSEL,
        f.DecideForm,
        lambda u, d: d.state == D.UNDER_POLICY_REVIEW and _lea(u, d.addressed_lea_id),
        _decide,
        hint="A local law that forbids holds makes honoring the hold impossible; the rule and citation are shown.",
    ),
    Action(
        "release-eligibility",
        DETAINER,
        "Record release eligibility",
        LEA,
        f.ReleaseEligibilityForm,
        lambda u, d: (
            d.booking.release_eligible_at is None
            and _in_custody(d)
            and d.state
            in (D.UNDER_POLICY_REVIEW, *ACTIVE_STATES, D.CITIZENSHIP_REVIEW, D.RECEIVED, D.VALIDATION_FAILED)
            and _lea(u, d.addressed_lea_id)
        ),
        _eligible,
        hint="The moment the subject would be released but for the detainer. It starts any hold ceiling.",
    ),
    Action(
        "release",
        DETAINER,
        "Record the release",
        LEA,
        f.ReleaseForm,
        lambda u, d: _in_custody(d) and _lea(u, d.addressed_lea_id) and d.state != D.TRANSMITTED,
        _release,
        warning=True,
    ),
    # either side
    Action(
        "claim-open",
        DETAINER,
        "Record a citizenship claim",
        (AGENCY_ROLES - {Role.AGENCY_COUNSEL}) | LEA,
        f.ClaimOpenForm,
        lambda u, d: d.state not in (*TERMINAL_STATES, D.CLOSED) and _open_claim(d.subject_id) is None,
        _claim_open,
        hint="Any party may raise a claim. Every hold on the subject is frozen while it is open.",
    ),
    Action(
        "claim-resolve",
        DETAINER,
        "Resolve the citizenship claim",
        SUPERVISOR,
        f.ClaimResolveForm,
        lambda u, d: _open_claim(d.subject_id) is not None,
        _claim_resolve,
    ),
    Action(
        "draft-subpoena",
        DETAINER,
        "Draft an administrative subpoena",
        OFFICERS,
        f.SubpoenaDraftForm,
        lambda u, d: _agency_office(u, d.issuing_office_id),
        _draft_subpoena,
        hint="Ask only for the items needed. An administrative subpoena is not a court order.",
    ),
    Action(
        "lift",
        DETAINER,
        "Lift the detainer",
        OFFICERS,
        f.LiftForm,
        lambda u, d: d.state not in (*TERMINAL_STATES, D.CLOSED) and _agency_office(u, d.issuing_office_id),
        _lift,
        warning=True,
    ),
    # subpoenas
    Action(
        "issue",
        SUBPOENA,
        "Sign and issue",
        SUPERVISOR,
        f.EmptyForm,
        lambda u, s: s.state == SS.DRAFT and _agency_office(u, s.issuing_office_id),
        _issue,
        hint="Only an official authorized under 8 CFR 287.4(a)(1) may sign.",
    ),
    Action(
        "serve",
        SUBPOENA,
        "Record service on the recipient",
        OFFICERS,
        f.SubpoenaServeForm,
        lambda u, s: s.state == SS.ISSUED and _agency_office(u, s.issuing_office_id),
        _sub_serve,
    ),
    Action(
        "acknowledge",
        SUBPOENA,
        "Acknowledge and docket for review",
        LEA,
        f.EmptyForm,
        lambda u, s: s.state == SS.SERVED and _lea(u, s.recipient_lea_id),
        _acknowledge,
    ),
    Action(
        "respond",
        SUBPOENA,
        "Record the response",
        LEA_COUNSEL,
        f.SubpoenaRespondForm,
        lambda u, s: s.state in (SS.SERVED, SS.RESPONSE_DUE) and _lea(u, s.recipient_lea_id),
        _respond,
        hint="Produce only the items requested. Local law may allow production only under a court order.",
    ),
    Action(
        "refer",
        SUBPOENA,
        "Refer non-compliance to DOJ",
        frozenset({Role.AGENCY_SUPERVISOR, Role.AGENCY_COUNSEL}),
        f.ReferForm,
        lambda u, s: s.state in SUBPOENA_NONCOMPLIANT and _agency_office(u, s.issuing_office_id),
        _refer,
    ),
    Action(
        "petition",
        SUBPOENA,
        "File an enforcement petition",
        DOJ,
        f.PetitionForm,
        _open_referral,
        _petition,
    ),
    Action(
        "referral-decline",
        SUBPOENA,
        "Decline the referral",
        DOJ,
        f.ReasonForm,
        _open_referral,
        _referral_decline,
        warning=True,
    ),
    Action(
        "withdraw",
        SUBPOENA,
        "Withdraw the subpoena",
        AGENCY_ROLES,
        f.ReasonForm,
        lambda u, s: (
            s.state in (SS.DRAFT, SS.ISSUED, SS.SERVED, SS.RESPONSE_DUE, *SUBPOENA_NONCOMPLIANT)
            and _agency_office(u, s.issuing_office_id)
        ),
        _withdraw,
        warning=True,
    ),
    # court cases
    Action(
        "record-order",
        COURT_CASE,
        "Record a court order",
        COUNSEL,
        f.CourtOrderForm,
        lambda u, c: c.state in COURT_ORDERABLE,
        _order,
        hint="Recorded from the court's document. An order enforcing the subpoena sets the comply-by date.",
    ),
    Action(
        "court-step",
        COURT_CASE,
        "Record a step in the case",
        COUNSEL | LEA,
        f.CourtStepForm,
        lambda u, c: c.state in (CS.BRIEFING, CS.HEARING, CS.ENFORCED, CS.NONCOMPLIANCE) and _court_party(u, c),
        _court_step,
    ),
    Action(
        "record-compliance",
        COURT_CASE,
        "Record compliance under the order",
        COUNSEL | LEA,
        f.ComplianceForm,
        lambda u, c: (
            c.state in (CS.ENFORCED, CS.NONCOMPLIANCE, CS.CONTEMPT_MOTION, CS.CONTEMPT_FOUND) and _court_party(u, c)
        ),
        _compliance,
    ),
]

_BY_KEY: dict[tuple[str, str], Action] = {(a.kind, a.key): a for a in ACTIONS}


def register(more: list[Action]) -> None:
    """Add actions built elsewhere (``desks.recording``: the counterpart recording the other side's act)."""
    ACTIONS.extend(more)
    _BY_KEY.update({(a.kind, a.key): a for a in more})


def get(kind: str, key: str) -> Action | None:
    return _BY_KEY.get((kind, key))


def is_allowed(action: Action, user: User, obj: Any) -> bool:
    return str(user.role) in action.roles and bool(action.allowed(user, obj))


def available(kind: str, user: User, obj: Any) -> list[Action]:
    return [a for a in ACTIONS if a.kind == kind and is_allowed(a, user, obj)]


def last_seq(kind: str, obj: Any) -> int:
    value = Transition.objects.filter(case_type=CASE_TYPES[kind], case_id=obj.pk).aggregate(m=Max("seq"))["m"]
    return int(value or 0)


def perform(action: Action, user: User, obj: Any, data: dict[str, Any]) -> Outcome:
    """Run the action's service unless the case moved on since the form was rendered. The service takes the
    row lock and checks state and guards again, so a change that slips in after this check is still refused
    (as an invalid transition or a refused guard)."""
    if data.get("seq") != last_seq(action.kind, obj):
        raise StaleForm(
            "This case changed after you opened the page (someone else recorded an event). Nothing was saved. "
            "Check the timeline below, then submit again if the action still applies."
        )
    return action.run(user, obj, data)
