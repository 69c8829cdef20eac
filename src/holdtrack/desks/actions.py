"""Which actions a case page offers: one table, each row naming the service it calls and the form it shows.

The page does not restate who may act or when: it asks the service (``kernel.refusals.refusals``), which answers
from the same sources the service itself checks: its party rule (``kernel.parties``: roles, and the
organisation's relation to the case), the state-machine transitions it takes (declared beside the service, the
states are the model's fsm), and the facts it checks under its row lock (declared beside it too: already served,
released …). An action is offered exactly when the service would not refuse it for any of those, and a refused
one is explained by the service's own reason, with its rule. The safeguards that weigh the submitted act (local
law, warrants, a citizenship claim, four eyes) are the service's at the act, shown with rule and citation.

``Needs`` rows are the few conditions the page adds on top, where it offers less than the service would
accept (an action that makes no sense on the page's case though the service would record it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.urls import reverse

from holdtrack.accounts.models import User
from holdtrack.audit.models import Transition
from holdtrack.cases.models import ACTIVE_STATES, TERMINAL_STATES, Detainer
from holdtrack.core.errors import DomainError, InvalidTransition, NotPermitted
from holdtrack.core.rows import statement
from holdtrack.desks import forms as f
from holdtrack.desks import runs as r
from holdtrack.desks.runs import (  # noqa: F401  (re-exported: the desks' shared names)
    CASE_TYPES,
    COURT_CASE,
    DETAINER,
    LEA_OPEN,
    MATCH,
    STALE_MESSAGE,
    SUBPOENA,
    URL_NAMES,
    URL_SEGMENTS,
    D,
    Outcome,
    StaleForm,
    _in_custody,
    _open_claim,
    case_url,
    via,
)
from holdtrack.kernel.parties import STAFF_RECORDED, rule_for
from holdtrack.kernel.parties import refusal as party_refusal
from holdtrack.kernel.refusals import Refusal, Stage, preconditions, refusals


def _self(obj: Any) -> Any:
    return obj


@dataclass(frozen=True)
class Needs:
    """A condition the page adds to the service's own (it offers less than the service would accept);
    ``reason`` is the refusal when it does not hold (``{state}`` names the case's state)."""

    test: Callable[[Any], bool]
    reason: str


@dataclass(frozen=True)
class Action:
    key: str
    kind: str
    label: str
    service: str  # the service it calls: it says who may take it, from which states, on which facts
    form: type[f.ActionForm]
    run: Callable[[User, Any, dict[str, Any]], Outcome]
    needs: tuple[Needs, ...] = ()  # what the page adds to the service's own conditions
    party: Callable[[Any], Any] = _self  # what the rule is asked about (the booking, the referral, the claim …)
    on: Callable[[Any], Any] = _self  # what the service acts on: its state machine and the facts it checks
    missing: str = ""  # the refusal when ``party`` or ``on`` finds nothing (no open claim, no referral)
    channel: str = ""  # STAFF_RECORDED: the counterpart records the other side's act (desks.recording)
    hint: str = ""
    warning: bool = False  # an action that ends or withdraws something: shown with a secondary style

    @property
    def dom_id(self) -> str:
        return f"action-{self.key}"

    @property
    def steps(self) -> tuple[str, ...]:
        """The state-machine transitions its service takes (declared beside the service)."""
        return preconditions(self.service).steps

    @property
    def roles(self) -> frozenset[str]:
        """The roles the service's rule lets take it (for a recorded act: the counterpart's)."""
        rule = rule_for(self.service)
        if self.channel == STAFF_RECORDED:
            return rule.recorded_by.roles - rule.roles if rule.recorded_by else frozenset()
        return rule.roles

    def url(self, pk: int) -> str:
        return reverse("desks:case_action", args=[self.kind, pk, self.key])


# ----------------------------------------------------------------------------------------- the refusal


def _state_label(obj: Any) -> str:
    return str(obj.get_state_display()) if hasattr(obj, "get_state_display") else ""


def first_refusal(action: Action, user: User, obj: Any) -> Refusal | None:
    """Why ``user`` may not take ``action`` on ``obj`` now, or None: the service's answer (party rule, then
    state machine, then the facts it checks), then the page's own conditions."""
    if str(user.role) not in action.roles:
        # A role the page's action is not for (a recorded act is for the counterpart's roles only).
        what = f"{action.label[0].lower()}{action.label[1:]}"
        error = party_refusal(user, action.service, None) or NotPermitted(
            f"A {user.get_role_display().lower()} may not {what}."
        )
        return Refusal(Stage.PARTY, error)
    target, machine = action.party(obj), action.on(obj)
    if target is None or machine is None:
        return Refusal(Stage.STATE, InvalidTransition(action.missing or "There is nothing to act on in this case."))
    refused = refusals(user, action.service, target, target=machine, channel=action.channel, what=action.label)
    if refused:
        return refused[0]
    for condition in action.needs:
        if not condition.test(obj):
            return Refusal(Stage.FACT, InvalidTransition(condition.reason.format(state=_state_label(obj))))
    return None


def refusal(action: Action, user: User, obj: Any) -> DomainError | None:
    found = first_refusal(action, user, obj)
    return found.error if found else None


# ------------------------------------------------------------------------------------------------ table

# The page's own conditions: why each is the page's and not the service's is said where it is used.
_RELEASED = Needs(_in_custody, "The subject has been released from this booking.")
_NOT_ENDED = Needs(lambda d: d.state not in (*TERMINAL_STATES, D.CLOSED), "The detainer has ended ('{state}').")
_CLAIM = "No citizenship claim is open on any record of this person."
_REFERRAL = "This subpoena has no referral to the Department of Justice."

ACTIONS: list[Action] = [
    # identity match
    Action(
        "review",
        MATCH,
        "Review the match",
        "identity_match_review",
        f.MatchReviewForm,
        r._match_review,
        hint="A probable match never causes legal action by itself: a named officer confirms or rejects it. "
        "A match across conflicting FBI numbers is confirmed only by a supervisor's override.",
    ),
    Action(
        "revoke",
        MATCH,
        "Revoke the confirmed match",
        "identity_match_revoke",
        f.MatchRevokeForm,
        r._match_revoke,
        hint="When the confirmed person turns out to be someone else. The claim guards run again on both records.",
        warning=True,
    ),
    Action(
        "prepare",
        MATCH,
        "Prepare a detainer",
        "detainer_prepare",
        f.DetainerPrepareForm,
        r._match_prepare,
        # The service asks for a confirmed match and a subject in custody; the page offers one detainer per match.
        needs=(
            Needs(
                lambda m: not Detainer.objects.filter(identity_match=m).exists(),
                "A detainer was already prepared on this match.",
            ),
        ),
        party=lambda m: m.booking,
        hint="Local law of the jurisdiction is evaluated and shown on the detainer; the LEA applies it.",
    ),
    # detainers: agency side
    Action(
        "attach-warrant",
        DETAINER,
        "Attach a warrant",
        "warrant_attach",
        f.WarrantAttachForm,
        r._warrant,
        # The service's states depend on the warrant's kind (a judicial one later too); the page offers the form
        # while the agency side still holds the detainer, up to its transmittal.
        needs=(
            Needs(
                lambda d: d.state in (D.PREPARED, D.APPROVED, D.TRANSMITTED, D.VALIDATION_FAILED),
                "A warrant cannot be attached while the detainer is '{state}'.",
            ),
        ),
        hint="A hold request needs an I-200 or I-205. An administrative warrant is never recorded as judicial.",
    ),
    Action(
        "approve",
        DETAINER,
        "Approve the detainer",
        "detainer_approve",
        f.EmptyForm,
        r._approve,
        hint="The approving supervisor cannot be the officer who prepared it.",
    ),
    Action("transmit", DETAINER, "Transmit to the LEA", "detainer_transmit", f.EmptyForm, r._transmit),
    Action(
        "neutral-review",
        DETAINER,
        "Record the neutral probable-cause review",
        "detainer_record_neutral_review",
        f.NeutralReviewForm,
        r._neutral,
        needs=(_NOT_ENDED,),  # the service records a late review too (an ended detainer's record)
    ),
    Action(
        "transfer-custody",
        DETAINER,
        "Record the custody transfer",
        "detainer_transfer_custody",
        f.EmptyForm,
        r._transfer,
        hint="Refused once the hold ceiling has passed.",
    ),
    # detainers: LEA side
    Action(
        "receive",
        DETAINER,
        "Record receipt",
        "detainer_receive",
        f.EmptyForm,
        r._receive,
        hint="Validation (warrant attached, probable cause stated, subject in custody) runs at once.",
    ),
    Action(
        "serve-subject",
        DETAINER,
        "Serve the subject's copy",
        "detainer_serve_subject",
        f.ServeSubjectForm,
        r._serve,
        needs=(_RELEASED,),  # the service records a service the paper shows; the page serves who is held
    ),
    Action(
        "confirm-judicial",
        DETAINER,
        "Confirm a judicial warrant",
        "warrant_confirm_judicial",
        f.WarrantConfirmForm,
        r._confirm_judicial,
        # The service confirms one warrant and refuses an ended detainer; the page offers it while the LEA holds
        # the detainer and a judicial warrant on it waits.
        needs=(
            Needs(lambda d: d.state in LEA_OPEN, "The detainer is '{state}'."),
            Needs(
                lambda d: d.warrants.filter(is_judicial=True, judicial_confirmed_at=None).exists(),
                "No judicial warrant on this detainer waits for confirmation.",
            ),
        ),
        hint="The agency records what it attaches; a policy that needs a judge's warrant relies on it only once "
        "you confirm a court issued it and a judge signed it.",
    ),
    Action(
        "decide",
        DETAINER,
        "Decide under local law",
        "detainer_decide",
        f.DecideForm,
        r._decide,
        hint="A local law that forbids holds makes honoring the hold impossible; the rule and citation are shown.",
    ),
    Action(
        "release-eligibility",
        DETAINER,
        "Record release eligibility",
        "booking_record_release_eligibility",
        f.ReleaseEligibilityForm,
        r._eligible,
        # The booking's service does not know the detainer; the page offers it on one the LEA holds.
        needs=(
            Needs(
                lambda d: (
                    d.state
                    in (D.UNDER_POLICY_REVIEW, *ACTIVE_STATES, D.CITIZENSHIP_REVIEW, D.RECEIVED, D.VALIDATION_FAILED)
                ),
                "Release eligibility is not recorded on a detainer that is '{state}'.",
            ),
        ),
        party=lambda d: d.booking,
        on=lambda d: d.booking,
        hint="The moment the subject would be released but for the detainer. It starts any hold ceiling.",
    ),
    Action(
        "release",
        DETAINER,
        "Record the release",
        "booking_release",
        f.ReleaseForm,
        r._release,
        needs=(Needs(lambda d: d.state != D.TRANSMITTED, "Record receipt of the detainer first."),),
        party=lambda d: d.booking,
        on=lambda d: d.booking,
        warning=True,
    ),
    # either side
    Action(
        "claim-open",
        DETAINER,
        "Record a citizenship claim",
        "citizenship_claim_open",
        f.ClaimOpenForm,
        r._claim_open,
        # The service answers with the claim already open on the person; the page does not offer a second.
        needs=(
            _NOT_ENDED,
            Needs(lambda d: _open_claim(d.subject_id) is None, "A citizenship claim is already open."),
        ),
        party=lambda d: d.subject,
        hint="Any party may raise a claim. Every hold on the subject is frozen while it is open.",
    ),
    Action(
        "claim-resolve",
        DETAINER,
        "Resolve the citizenship claim",
        "citizenship_claim_resolve",
        f.ClaimResolveForm,
        r._claim_resolve,
        party=lambda d: _open_claim(d.subject_id),
        missing=_CLAIM,
    ),
    Action(
        "draft-subpoena",
        DETAINER,
        "Draft an administrative subpoena",
        "subpoena_draft",
        f.SubpoenaDraftForm,
        r._draft_subpoena,
        party=lambda d: d.addressed_lea,
        hint="Ask only for the items needed. An administrative subpoena is not a court order.",
    ),
    Action("lift", DETAINER, "Lift the detainer", "detainer_lift", f.LiftForm, r._lift, warning=True),
    # subpoenas
    Action(
        "issue",
        SUBPOENA,
        "Sign and issue",
        "subpoena_issue",
        f.EmptyForm,
        r._issue,
        hint="Only an official authorized under 8 CFR 287.4(a)(1) may sign.",
    ),
    Action(
        "serve",
        SUBPOENA,
        "Record service on the recipient",
        "subpoena_serve",
        f.SubpoenaServeForm,
        r._sub_serve,
    ),
    Action(
        "acknowledge",
        SUBPOENA,
        "Acknowledge and docket for review",
        "subpoena_acknowledge",
        f.EmptyForm,
        r._acknowledge,
    ),
    Action(
        "respond",
        SUBPOENA,
        "Record the response",
        "subpoena_respond",
        f.SubpoenaRespondForm,
        r._respond,
        hint="Produce only the items requested. Local law may allow production only under a court order.",
    ),
    Action("refer", SUBPOENA, "Refer non-compliance to DOJ", "subpoena_refer", f.ReferForm, r._refer),
    Action(
        "petition",
        SUBPOENA,
        "File an enforcement petition",
        "court_petition_file",
        f.PetitionForm,
        r._petition,
        party=lambda s: getattr(s, "referral", None),
        on=lambda s: getattr(s, "referral", None),
        missing=_REFERRAL,
    ),
    Action(
        "referral-decline",
        SUBPOENA,
        "Decline the referral",
        "referral_decline",
        f.ReasonForm,
        r._referral_decline,
        party=lambda s: getattr(s, "referral", None),
        on=lambda s: getattr(s, "referral", None),
        missing=_REFERRAL,
        warning=True,
    ),
    Action(
        "withdraw",
        SUBPOENA,
        "Withdraw the subpoena",
        "subpoena_withdraw",
        f.ReasonForm,
        r._withdraw,
        warning=True,
    ),
    # court cases
    Action(
        "record-order",
        COURT_CASE,
        "Record a court order",
        "court_order_record",
        f.CourtOrderForm,
        r._order,
        hint="Recorded from the court's document. An order enforcing the subpoena sets the comply-by date.",
    ),
    Action(
        "court-step",
        COURT_CASE,
        "Record a step in the case",
        "court_case_advance",
        f.CourtStepForm,
        r._court_step,
    ),
    Action(
        "record-compliance",
        COURT_CASE,
        "Record compliance under the order",
        "court_compliance_record",
        f.ComplianceForm,
        r._compliance,
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
    return refusal(action, user, obj) is None


def available(kind: str, user: User, obj: Any) -> list[Action]:
    return [a for a in ACTIONS if a.kind == kind and is_allowed(a, user, obj)]


def last_seq(kind: str, obj: Any) -> int:
    case_type = CASE_TYPES[kind]
    # Compiled once per kind (core.rows): every case page and every action asks it.
    sql, params = statement(
        ("desks.last_seq", case_type),
        lambda pk: Transition.objects.filter(case_type=case_type, case_id=pk).values("seq").order_by("-seq")[:1],
        obj.pk,
    )
    with connections[router.db_for_read(Transition)].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def perform(action: Action, user: User, obj: Any, data: dict[str, Any]) -> Outcome:
    """Run the action's service unless the case moved on since the form was rendered. The service takes the
    row lock and checks state and guards again, so a change that slips in after this check is still refused
    (as an invalid transition or a refused guard)."""
    if data.get("seq") != last_seq(action.kind, obj):
        raise StaleForm(STALE_MESSAGE)
    return action.run(user, obj, data)
