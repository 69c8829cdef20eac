"""Administrative subpoena services (8 U.S.C. 1225(d)(4); 8 CFR 287.4) and their court enforcement.

An administrative subpoena is not a court order: the recipient need not comply until a district court
orders it. The model pins ``is_judicial=False``; these services keep the lifecycle and the clocks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django_fsm import can_proceed

from holdtrack.accounts.models import Organization, OrgKind, Role, User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.audit.services import audit_record, transition_record
from holdtrack.cases import clocks
from holdtrack.cases import subpoena_authority as authority
from holdtrack.cases.models import (
    CourtCase,
    CourtOrder,
    CourtState,
    Detainer,
    EnforcementReferral,
    ItemCategory,
    OrderType,
    ResponseType,
    Subpoena,
    SubpoenaResponse,
    SubpoenaState,
)
from holdtrack.cases.subpoena_authority import authority_problem
from holdtrack.core.errors import GuardRefused, InvalidTransition, NotPermitted, ValidationFailed
from holdtrack.core.timeutil import fact_time
from holdtrack.custody.models import Subject
from holdtrack.jurisdictions.models import LawEnforcementAgency, SubpoenaRule
from holdtrack.jurisdictions.policy import evaluate
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.refusals import declare
from holdtrack.kernel.steps import locked, note, step, when

SS = SubpoenaState
CS = CourtState
SUB = CaseType.SUBPOENA
REF = CaseType.REFERRAL
COURT = CaseType.COURT_CASE

RESPONSE_METHOD: dict[str, str] = {
    ResponseType.FULL_PRODUCTION: "comply",
    ResponseType.PARTIAL_PRODUCTION: "comply_partially",
    ResponseType.OBJECTION_LETTER: "object",
    ResponseType.DECLINATION: "decline",
}


def subpoena_draft(
    *,
    actor: User,
    recipient_lea: LawEnforcementAgency,
    subject: Subject,
    items: list[str],
    return_days: int = 14,
    related_detainer: Detainer | None = None,
    at: datetime | None = None,
) -> Subpoena:
    at = when(at)
    authorize(actor, "subpoena_draft", recipient_lea)
    office = actor.organization
    if office is None:  # unreachable: the rule asks for a field office
        raise NotPermitted("A subpoena is drafted in an agency field office.")
    bad = [i for i in items if i not in ItemCategory.values]
    if not items or bad:
        raise ValidationFailed(
            "Items requested must be named from the list of categories"
            + (f"; unknown: {', '.join(bad)}" if bad else ".")
        )
    if not 1 <= return_days <= 60:
        raise ValidationFailed("The return period must be between 1 and 60 days.")
    with transaction.atomic():
        s = Subpoena.objects.create(
            issuing_office=office,
            recipient_lea=recipient_lea,
            subject=subject,
            related_detainer=related_detainer,
            items=sorted(set(items)),
            return_days=return_days,
            drafted_by=actor,
            drafted_at=at,
        )
        transition_record(
            case_type=SUB,
            case_id=s.pk,
            name="draft",
            source="",
            target=s.state,
            actor=actor,
            at=at,
            data={
                "items": s.items,
                "return_days": return_days,
                "recipient_ori": recipient_lea.ori,
                "related_detainer_id": related_detainer.pk if related_detainer else None,
            },
        )
        audit_record(actor=actor, action="subpoena.draft", entity_type=SUB, entity_id=s.pk, at=at)
        return s


def subpoena_issue(*, actor: User, subpoena: Subpoena, at: datetime | None = None) -> Subpoena:
    """Signed by an authorized official (8 CFR 287.4(a)(1)); anyone else is refused."""
    at = when(at)
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        g = authorize(actor, "subpoena_issue", s)
        problem = None if actor.role == Role.SYSTEM else authority_problem(actor.title, actor.subpoena_authority)
        if problem:
            raise GuardRefused(
                "Only an official authorized under 8 CFR 287.4(a)(1), or delegated under 8 CFR 2.1, may sign a "
                f"subpoena: {problem}",
                rule=authority.VERSION,
                citation=authority.CITATION,
            )
        s.issued_by, s.issued_at, s.issuing_official_title = actor, at, actor.title or actor.subpoena_authority
        step(
            s,
            "issue",
            case_type=SUB,
            actor=actor,
            grant=g,
            at=at,
            data={
                "authority": actor.subpoena_authority,
                "title": s.issuing_official_title,
                "authority_list": authority.VERSION,
                "is_judicial": False,
            },
        )
        return s


def subpoena_serve(
    *,
    actor: User,
    subpoena: Subpoena,
    method: str = "PERSONAL",
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Subpoena:
    at = when(at)
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        g = authorize(actor, "subpoena_serve", s, channel=channel, document=source_document)
        clock = clocks.subpoena_return(at, s.return_days, s.recipient_lea.jurisdiction.timezone)
        s.served_at, s.service_method, s.return_due_at, s.return_rule = at, method, clock.due_at, clock.rule
        step(
            s,
            "serve",
            case_type=SUB,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={"method": method, "clocks": [clock.as_dict()]},
        )
        return s


def subpoena_acknowledge(
    *,
    actor: User,
    subpoena: Subpoena,
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> Subpoena:
    """The recipient dockets the subpoena for legal review; the return date is already running."""
    at = when(at)
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        g = authorize(actor, "subpoena_acknowledge", s, channel=channel, document=source_document)
        ev = evaluate(s.recipient_lea, on=at.date())
        step(
            s,
            "triage",
            case_type=SUB,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={"subpoena_handling": ev.subpoena_handling, "policy_rules": ev.rule_ids},
        )
        return s


def subpoena_respond(
    *,
    actor: User,
    subpoena: Subpoena,
    response_type: str,
    produced_items: list[str] | None = None,
    grounds: str = "",
    legal_basis: str = "",
    at: datetime | None = None,
    channel: str = Channel.PORTAL,
    source_document: str = "",
) -> SubpoenaResponse:
    at = when(at)
    if response_type not in RESPONSE_METHOD:
        raise ValidationFailed(f"Response type {response_type!r} is not a response to an open subpoena.")
    produced = sorted(set(produced_items or []))
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        g = authorize(actor, "subpoena_respond", s, channel=channel, document=source_document)
        extra = set(produced) - set(s.items)
        if extra:
            raise GuardRefused(
                "Produce only the items requested; not requested: " + ", ".join(sorted(extra)),
                rule="R-MINIMIZE v1",
                citation="domain.md C5",
            )
        if response_type == ResponseType.FULL_PRODUCTION and set(produced) != set(s.items):
            raise ValidationFailed("A full production covers every item requested; otherwise record a partial one.")
        if response_type == ResponseType.PARTIAL_PRODUCTION and not produced:
            raise ValidationFailed("A partial production names the items produced.")
        if response_type in (ResponseType.OBJECTION_LETTER, ResponseType.DECLINATION) and not grounds.strip():
            raise ValidationFailed("An objection or declination states its grounds.")
        if produced:
            ev = evaluate(s.recipient_lea, on=at.date())
            if ev.subpoena_handling in (SubpoenaRule.DECLINE_DOCUMENT_REPORT, SubpoenaRule.JUDICIAL_ONLY):
                hit = ev.subpoena_source or ev.hits[-1]
                raise GuardRefused(
                    "Local law allows production only under a court order.", rule=hit.rule_id, citation=hit.citation
                )
        r = SubpoenaResponse.objects.create(
            subpoena=s,
            response_type=response_type,
            sent_at=at,
            approved_by=actor,
            legal_basis=legal_basis,
            produced_items=produced,
            grounds=grounds,
        )
        s.responded_at = s.responded_at or at
        step(
            s,
            RESPONSE_METHOD[response_type],
            case_type=SUB,
            actor=actor,
            grant=g,
            at=at,
            channel=channel,
            data={
                "response_id": r.pk,
                "response_type": response_type,
                "produced_items": produced,
                "late": bool(s.return_due_at and at > s.return_due_at),
            },
        )
        return r


def subpoena_refer(
    *, actor: User, subpoena: Subpoena, doj_office: Organization, memo: str = "", at: datetime | None = None
) -> EnforcementReferral:
    at = when(at)
    if doj_office.kind != OrgKind.DOJ:
        raise ValidationFailed("A referral goes to a Department of Justice office.")
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        g = authorize(actor, "subpoena_refer", s)
        step(s, "refer", case_type=SUB, actor=actor, grant=g, at=at, data={"doj_office": doj_office.name})
        ref = EnforcementReferral.objects.create(
            subpoena=s,
            referred_by=actor,
            referred_at=at,
            doj_office=doj_office,
            usao_district=doj_office.judicial_district,
            memo=memo,
        )
        transition_record(
            case_type=REF,
            case_id=ref.pk,
            name="refer",
            source="",
            target=ref.state,
            actor=actor,
            at=at,
            data={"subpoena_id": s.pk, "usao_district": ref.usao_district},
        )
        audit_record(actor=actor, action="referral.create", entity_type=REF, entity_id=ref.pk, at=at)
        return ref


def referral_decline(
    *, actor: User, referral: EnforcementReferral, reason: str, at: datetime | None = None
) -> EnforcementReferral:
    at = when(at)
    with transaction.atomic():
        ref = locked(EnforcementReferral, referral.pk)
        g = authorize(actor, "referral_decline", ref)
        step(ref, "decline", case_type=REF, actor=actor, grant=g, at=at, reason=reason)
        s = locked(Subpoena, ref.subpoena_id)
        step(
            s,
            "withdraw",
            case_type=SUB,
            actor=actor,
            grant=g,
            at=at,
            reason="Referral declined by the U.S. Attorney's Office",
        )
        return ref


def court_petition_file(
    *, actor: User, referral: EnforcementReferral, court: str, case_number: str, at: datetime | None = None
) -> CourtCase:
    at = when(at)
    if not court.strip() or not case_number.strip():
        raise ValidationFailed("A petition names its court and case number.")
    with transaction.atomic():
        ref = locked(EnforcementReferral, referral.pk)
        g = authorize(actor, "court_petition_file", ref)
        step(
            ref,
            "file_petition",
            case_type=REF,
            actor=actor,
            grant=g,
            at=at,
            data={"court": court, "case_number": case_number},
        )
        case = CourtCase.objects.create(referral=ref, court=court, case_number=case_number, filed_at=at)
        transition_record(
            case_type=COURT,
            case_id=case.pk,
            name="file_petition",
            source="",
            target=case.state,
            actor=actor,
            at=at,
            data={
                "court": court,
                "case_number": case_number,
                "subpoena_id": ref.subpoena_id,
                "statutory_basis": "8 U.S.C. 1225(d)(4)(B)",
            },
        )
        audit_record(actor=actor, action="court_case.create", entity_type=COURT, entity_id=case.pk, at=at)
        s = locked(Subpoena, ref.subpoena_id)
        step(s, "go_to_court", case_type=SUB, actor=actor, grant=g, at=at, data={"court_case_id": case.pk})
        return case


# What each kind of court order does to the case (and, for final orders, to the subpoena).
_ORDER_STEPS: dict[str, list[str]] = {
    OrderType.COURT_ORDER_TO_SHOW_CAUSE: ["issue_osc"],
    OrderType.BRIEFING_SCHEDULE: ["set_briefing"],
    OrderType.HEARING_NOTICE: ["set_hearing"],
    OrderType.ORDER_ENFORCING_SUBPOENA: ["enforce"],
    OrderType.ORDER_DENYING_ENFORCEMENT: ["deny"],
    OrderType.DISMISSAL: ["dismiss"],
    OrderType.CONTEMPT_FINDING: ["find_contempt"],
    OrderType.PURGE_SATISFIED: ["purge"],
}
# A final order that comes in briefing or at a hearing first takes the case under advisement.
_FINAL_ORDERS = (OrderType.ORDER_ENFORCING_SUBPOENA, OrderType.ORDER_DENYING_ENFORCEMENT)
# Steps in the case that are not orders (court_case_advance).
COURT_STEPS = ("take_under_advisement", "appeal", "move_for_contempt")


def court_orders_possible(case: CourtCase) -> list[str]:
    """The order types ``court_order_record`` can record in the case's state, as its state machine says."""
    return [
        order_type
        for order_type, methods in _ORDER_STEPS.items()
        if can_proceed(getattr(case, methods[0]))
        or (order_type in _FINAL_ORDERS and can_proceed(case.take_under_advisement))
    ]


def _no_order_possible(case: CourtCase, at: datetime) -> InvalidTransition | None:
    if court_orders_possible(case):
        return None
    return InvalidTransition(f"No court order can be recorded while the court case is '{case.get_state_display()}'.")


def court_order_record(
    *,
    actor: User,
    case: CourtCase,
    order_type: str,
    issued_at: datetime,
    issued_by: str = "",
    comply_within_days: int | None = None,
    terms: str = "",
    channel: str = Channel.STAFF_RECORDED,
) -> CourtOrder:
    """Orders are recorded from the court's document by counsel (the court is not a user)."""
    if order_type not in _ORDER_STEPS:
        raise ValidationFailed(f"Unknown order type {order_type!r}.")
    if order_type == OrderType.ORDER_ENFORCING_SUBPOENA and not comply_within_days:
        raise ValidationFailed("An order enforcing a subpoena sets a comply-by period in days.")
    with transaction.atomic():
        c = locked(CourtCase, case.pk)
        ref = c.referral
        g = authorize(actor, "court_order_record", c)
        fact_time(issued_at, "The order's date", not_before=c.filed_at, not_before_what="the petition")
        if order_type in _FINAL_ORDERS and can_proceed(c.take_under_advisement):
            step(c, "take_under_advisement", case_type=COURT, actor=actor, grant=g, at=issued_at, channel=channel)
        order = CourtOrder.objects.create(
            case=c,
            order_type=order_type,
            issued_at=issued_at,
            issued_by=issued_by,
            comply_within_days=comply_within_days,
            terms=terms,
            recorded_by=actor,
        )
        data: dict[str, Any] = {"order_id": order.pk, "order_type": order_type, "issued_by": issued_by}
        if order_type == OrderType.ORDER_ENFORCING_SUBPOENA and comply_within_days:
            clock = clocks.comply_by(issued_at, comply_within_days, ref.subpoena.recipient_lea.jurisdiction.timezone)
            c.comply_by, c.comply_rule = clock.due_at, clock.rule
            data["clocks"] = [clock.as_dict()]
        for method in _ORDER_STEPS[order_type]:
            step(c, method, case_type=COURT, actor=actor, grant=g, at=issued_at, channel=channel, data=data)
        s = locked(Subpoena, ref.subpoena_id)
        if order_type == OrderType.ORDER_DENYING_ENFORCEMENT:
            step(s, "quash", case_type=SUB, actor=actor, grant=g, at=issued_at, data={"order_id": order.pk})
        elif order_type == OrderType.DISMISSAL and s.state in (SS.IN_COURT,):
            step(s, "withdraw", case_type=SUB, actor=actor, grant=g, at=issued_at, data={"order_id": order.pk})
        return order


def court_case_advance(
    *, actor: User, case: CourtCase, action: str, at: datetime | None = None, reason: str = ""
) -> CourtCase:
    """Steps that are not orders: fully briefed (under advisement), objection or appeal, contempt motion."""
    at = when(at)
    if action not in COURT_STEPS:
        raise ValidationFailed(f"Unknown court step {action!r}.")
    with transaction.atomic():
        c = locked(CourtCase, case.pk)
        g = authorize(actor, "court_case_advance", c)
        step(c, action, case_type=COURT, actor=actor, grant=g, at=at, reason=reason)
        return c


def court_compliance_record(
    *, actor: User, case: CourtCase, produced_items: list[str] | None = None, at: datetime | None = None
) -> CourtCase:
    """The respondent produced under the order: the case is complied (or the contempt purged)."""
    at = when(at)
    with transaction.atomic():
        c = locked(CourtCase, case.pk)
        s = locked(Subpoena, c.referral.subpoena_id)
        g = authorize(actor, "court_compliance_record", c)
        produced = sorted(set(produced_items or s.items))
        r = SubpoenaResponse.objects.create(
            subpoena=s,
            response_type=ResponseType.PRODUCTION_UNDER_COURT_ORDER,
            sent_at=at,
            approved_by=actor,
            produced_items=produced,
            legal_basis=f"Order of {c.court} in {c.case_number}",
        )
        method = "purge" if c.state == CS.CONTEMPT_FOUND else "record_compliance"
        step(c, method, case_type=COURT, actor=actor, grant=g, at=at, data={"response_id": r.pk})
        step(s, "comply_under_order", case_type=SUB, actor=actor, grant=g, at=at, data={"response_id": r.pk})
        return c


def subpoena_withdraw(*, actor: User, subpoena: Subpoena, reason: str, at: datetime | None = None) -> Subpoena:
    at = when(at)
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        g = authorize(actor, "subpoena_withdraw", s)
        step(s, "withdraw", case_type=SUB, actor=actor, grant=g, at=at, reason=reason)
        return s


def subpoena_lapse_if_due(subpoena: Subpoena, *, now: datetime) -> bool:
    """S7: the return date passed with no response."""
    with transaction.atomic():
        s = locked(Subpoena, subpoena.pk)
        if s.state not in (SS.SERVED, SS.RESPONSE_DUE) or s.return_due_at is None or s.return_due_at > now:
            return False
        step(
            s,
            "lapse",
            case_type=SUB,
            actor=system_user(),
            at=s.return_due_at,
            channel=Channel.SYSTEM,
            data={"return_due_at": s.return_due_at.isoformat(), "rule": s.return_rule},
        )
        return True


def court_noncompliance_if_due(case: CourtCase, *, now: datetime) -> bool:
    with transaction.atomic():
        c = locked(CourtCase, case.pk)
        if c.state != CS.ENFORCED or c.comply_by is None or c.comply_by > now:
            return False
        step(
            c,
            "record_noncompliance",
            case_type=COURT,
            actor=system_user(),
            at=c.comply_by,
            channel=Channel.SYSTEM,
            data={"comply_by": c.comply_by.isoformat(), "rule": c.comply_rule},
        )
        return True


def close_finished(now: datetime) -> int:
    """Close subpoenas and court cases whose outcome is final; referral-declined subpoenas too."""
    sysu = system_user()
    closed = 0
    for case in CourtCase.objects.filter(state__in=[CS.COMPLIED, CS.PURGED, CS.DENIED, CS.DISMISSED]):
        with transaction.atomic():
            c = locked(CourtCase, case.pk)
            if c.state in (CS.COMPLIED, CS.PURGED, CS.DENIED, CS.DISMISSED):
                step(c, "close", case_type=COURT, actor=sysu, at=now, channel=Channel.SYSTEM)
                closed += 1
    for sub in Subpoena.objects.filter(state__in=[SS.COMPLIED, SS.COMPLIED_UNDER_ORDER, SS.QUASHED, SS.WITHDRAWN]):
        with transaction.atomic():
            s = locked(Subpoena, sub.pk)
            if s.state in (SS.COMPLIED, SS.COMPLIED_UNDER_ORDER, SS.QUASHED, SS.WITHDRAWN):
                step(s, "close", case_type=SUB, actor=sysu, at=now, channel=Channel.SYSTEM)
                closed += 1
    return closed


# What each service takes and checks beside its party rule (kernel.refusals): the pages ask these.
declare("subpoena_issue", steps=("issue",))
declare("subpoena_serve", steps=("serve",))
declare("subpoena_acknowledge", steps=("triage",))
declare("subpoena_respond", steps=tuple(RESPONSE_METHOD.values()))
declare("subpoena_refer", steps=("refer",))
declare("subpoena_withdraw", steps=("withdraw",))
declare("court_petition_file", steps=("file_petition",))
declare("referral_decline", steps=("decline",))
# The order's own steps depend on its type: the case must allow one type or another (court_orders_possible).
declare("court_order_record", checks=(_no_order_possible,))
declare("court_case_advance", steps=COURT_STEPS)
declare("court_compliance_record", steps=("record_compliance", "purge"))

__all__ = [
    "InvalidTransition",
    "court_case_advance",
    "court_compliance_record",
    "court_order_record",
    "court_petition_file",
    "note",
    "referral_decline",
    "subpoena_acknowledge",
    "subpoena_draft",
    "subpoena_issue",
    "subpoena_refer",
    "subpoena_respond",
    "subpoena_serve",
    "subpoena_withdraw",
]
