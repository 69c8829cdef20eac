"""Subpoena and court-enforcement services (cases/services/subpoenas.py): the whole chain of domain.md B3.2 and
B3.3, from draft to contempt purged, with its clocks and every refusal along the way."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from holdtrack.audit.models import Transition
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    ChargingDocument,
    CourtState,
    EnforcementReferral,
    ItemCategory,
    OrderType,
    ReferralState,
    ResponseType,
    Subpoena,
    SubpoenaResponse,
    SubpoenaState,
    WorkItem,
    WorkItemKind,
)
from holdtrack.cases.services import subpoenas as ss
from holdtrack.cases.services.sweep import sweep
from holdtrack.core.errors import GuardRefused, InvalidTransition, NotPermitted, ValidationFailed
from holdtrack.custody import services as cs
from holdtrack.jurisdictions.models import HoldRule, NotifyRule, SubpoenaRule
from tests.factories import T0, UserFactory, World, make_policy, make_world

pytestmark = pytest.mark.django_db

SS = SubpoenaState
CS = CourtState
ITEMS = [ItemCategory.HOME_ADDRESS, ItemCategory.PHONE, ItemCategory.RELEASE_DATE]
SERVED = T0 + timedelta(hours=2)  # Monday 2026-03-02, 11:00 in Houston
# 14 days later is Monday 2026-03-16; due at the end of that day in the LEA's zone (CDT by then).
DUE = datetime(2026, 3, 16, 23, 59, 59, tzinfo=ZoneInfo("America/Chicago"))


def draft(w: World, items=ITEMS, **kwargs) -> Subpoena:  # type: ignore[no-untyped-def]
    subject = cs.subject_create(actor=w.booking_clerk, first_name="Test", last_name="Subpoenaed")
    return ss.subpoena_draft(actor=w.officer, recipient_lea=w.lea, subject=subject, items=list(items), at=T0, **kwargs)


def served(w: World, at: datetime = SERVED, **kwargs) -> Subpoena:  # type: ignore[no-untyped-def]
    s = draft(w, **kwargs)
    ss.subpoena_issue(actor=w.supervisor, subpoena=s, at=at - timedelta(hours=1))
    return ss.subpoena_serve(actor=w.officer, subpoena=s, at=at)


def acknowledged(w: World, **kwargs) -> Subpoena:  # type: ignore[no-untyped-def]
    s = served(w, **kwargs)
    return ss.subpoena_acknowledge(actor=w.booking_clerk, subpoena=s, at=SERVED + timedelta(hours=3))


def fresh(s: Subpoena) -> Subpoena:
    return Subpoena.objects.get(pk=s.pk)


def respond(w: World, s: Subpoena, response_type: str, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("at", SERVED + timedelta(days=3))
    return ss.subpoena_respond(actor=w.lea_counsel, subpoena=s, response_type=response_type, **kwargs)


def in_court(w: World, s: Subpoena | None = None, *, number: str = "4:26-mc-00011"):  # type: ignore[no-untyped-def]
    s = s or acknowledged(w)
    sweep(s.return_due_at)  # no response by the return date
    ref = ss.subpoena_refer(actor=w.supervisor, subpoena=s, doj_office=w.doj, at=s.return_due_at + timedelta(days=5))
    case = ss.court_petition_file(
        actor=w.doj_attorney,
        referral=ref,
        court="S.D. Tex.",
        case_number=number,
        at=s.return_due_at + timedelta(days=20),
    )
    return fresh(s), ref, case


def order(w: World, case, order_type: str, at: datetime, **kwargs):  # type: ignore[no-untyped-def]
    return ss.court_order_record(actor=w.doj_attorney, case=case, order_type=order_type, issued_at=at, **kwargs)


# ------------------------------------------------------------------------------------- issue and service


def test_only_an_authorized_official_signs(world):
    s = draft(world)
    with pytest.raises(NotPermitted):
        ss.subpoena_issue(actor=world.officer, subpoena=s)
    unauthorized = UserFactory(role="AGENCY_SUPERVISOR", organization=world.office, title="Supervisory Officer")
    with pytest.raises(GuardRefused) as info:
        ss.subpoena_issue(actor=unauthorized, subpoena=s)
    assert info.value.rule == "R-SUBPOENA-AUTHORITY v2"
    assert "8 CFR 287.4(a)(1)" in str(info.value)
    # Any non-empty text was enough before: a title outside 8 CFR 287.4(a)(1) without a delegation is refused.
    self_styled = UserFactory(
        role="AGENCY_SUPERVISOR",
        organization=world.office,
        title="Supervisory Detention and Deportation Officer",
        subpoena_authority="Supervisory Detention and Deportation Officer",
    )
    with pytest.raises(GuardRefused, match="not an official named"):
        ss.subpoena_issue(actor=self_styled, subpoena=s)
    delegated = UserFactory(
        role="AGENCY_SUPERVISOR",
        organization=world.office,
        title="Supervisory Detention and Deportation Officer",
        subpoena_authority="Delegated under 8 CFR 2.1 by Field Office Director order 2026-07",
    )
    assert ss.subpoena_issue(actor=delegated, subpoena=draft(world)).issued_by == delegated
    other = make_world(suffix=" (other)")
    with pytest.raises(NotPermitted, match="issuing office"):
        ss.subpoena_issue(actor=other.supervisor, subpoena=s)
    assert fresh(s).state == SS.DRAFT
    s = ss.subpoena_issue(actor=world.supervisor, subpoena=s, at=T0 + timedelta(hours=1))
    assert s.state == SS.ISSUED
    assert s.issued_by == world.supervisor and s.issuing_official_title == "Field Office Director"
    assert s.is_judicial is False


def test_draft_validates_items_and_return_period(world):
    with pytest.raises(ValidationFailed, match="unknown: SOCIAL_MEDIA"):
        draft(world, items=["HOME_ADDRESS", "SOCIAL_MEDIA"])
    with pytest.raises(ValidationFailed):
        draft(world, items=[])
    with pytest.raises(ValidationFailed, match="between 1 and 60"):
        draft(world, return_days=0)
    with pytest.raises(NotPermitted):
        ss.subpoena_draft(actor=world.booking_clerk, recipient_lea=world.lea, subject=draft(world).subject, items=ITEMS)


def test_an_unissued_subpoena_cannot_be_served(world):
    s = draft(world)
    with pytest.raises(InvalidTransition):
        ss.subpoena_serve(actor=world.officer, subpoena=s, at=SERVED)


def test_service_computes_the_return_date(world):
    s = served(world)
    assert s.state == SS.SERVED
    assert s.return_due_at == DUE.astimezone(UTC) == datetime(2026, 3, 17, 4, 59, 59, tzinfo=UTC)
    assert s.return_rule == "R-SUBPOENA-RETURN v1"
    t = Transition.objects.get(case_type="subpoena", case_id=s.pk, name="serve")
    [clock] = t.data["clocks"]
    assert clock["due_at"] == "2026-03-17T04:59:59Z"
    assert "14 days from 2026-03-02" in clock["explanation"] and "R-SUBPOENA-RETURN v1" in clock["explanation"]


@pytest.mark.parametrize(
    ("served_on", "expected", "why"),
    [
        # Saturday + 14 = Saturday 2026-03-21 -> Monday 2026-03-23.
        (date(2026, 3, 7), date(2026, 3, 23), "2026-03-21 is a weekend or federal holiday"),
        # Friday + 14 = Friday 2026-07-03, Independence Day observed -> Monday 2026-07-06.
        (date(2026, 6, 19), date(2026, 7, 6), "2026-07-03 is a weekend or federal holiday"),
        # Thursday + 14 = Thanksgiving 2026-11-26 -> Friday 2026-11-27.
        (date(2026, 11, 12), date(2026, 11, 27), "2026-11-26 is a weekend or federal holiday"),
    ],
)
def test_return_date_rolls_past_weekends_and_federal_holidays(world, served_on, expected, why):
    zone = ZoneInfo(world.lea.jurisdiction.timezone)
    at = datetime.combine(served_on, time(10, 0), tzinfo=zone)
    s = served(world, at=at)
    assert s.return_due_at == datetime.combine(expected, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    assert s.return_due_at.tzinfo == UTC or s.return_due_at.utcoffset() == timedelta(0)
    local = s.return_due_at.astimezone(zone)
    assert (local.date(), local.time()) == (expected, time(23, 59, 59))
    [clock] = clocks.subpoena_clocks(s)
    assert why in clock.explanation


def test_return_date_is_the_end_of_the_day_in_the_recipients_zone(db):
    from tests.factories import AorFactory, CountyFactory, StateFactory

    ca = StateFactory(fips="06", name="California", state_abbr="CA", timezone="America/Los_Angeles")
    la = CountyFactory(
        fips="06037",
        name="Los Angeles County",
        state_abbr="CA",
        parent=ca,
        timezone="America/Los_Angeles",
        aor=AorFactory(name="Los Angeles"),
    )
    w = make_world(county=la, suffix=" (LA)")
    s = served(w, at=datetime(2026, 3, 2, 7, 30, tzinfo=UTC))  # still Sunday 2026-03-01 in Los Angeles
    # 14 days from Sunday 2026-03-01 is Sunday 2026-03-15 -> Monday 2026-03-16, 23:59:59 PDT.
    assert s.return_due_at == datetime(2026, 3, 17, 6, 59, 59, tzinfo=UTC)


# -------------------------------------------------------------------------------------------- responses


def test_acknowledge_dockets_the_subpoena(world):
    s = served(world)
    other = make_world(suffix=" (other)")
    with pytest.raises(NotPermitted):
        ss.subpoena_acknowledge(actor=other.booking_clerk, subpoena=s)
    s = ss.subpoena_acknowledge(actor=world.booking_clerk, subpoena=s, at=SERVED + timedelta(hours=1))
    assert s.state == SS.RESPONSE_DUE
    assert s.return_due_at == DUE  # acknowledging does not move the return date


def test_full_production_covers_every_item_and_only_those(world):
    s = acknowledged(world)
    with pytest.raises(ValidationFailed, match="covers every item"):
        respond(world, s, ResponseType.FULL_PRODUCTION, produced_items=ITEMS[:2])
    with pytest.raises(GuardRefused) as info:
        respond(world, s, ResponseType.FULL_PRODUCTION, produced_items=[*ITEMS, ItemCategory.EMERGENCY_CONTACTS])
    assert info.value.rule == "R-MINIMIZE v1" and "EMERGENCY_CONTACTS" in str(info.value)
    with pytest.raises(GuardRefused, match="R-MINIMIZE v1"):
        respond(world, s, ResponseType.PARTIAL_PRODUCTION, produced_items=[ItemCategory.CRIMINAL_RECORD])
    with pytest.raises(NotPermitted):
        ss.subpoena_respond(
            actor=world.booking_clerk, subpoena=s, response_type=ResponseType.FULL_PRODUCTION, produced_items=ITEMS
        )
    assert fresh(s).state == SS.RESPONSE_DUE and not SubpoenaResponse.objects.filter(subpoena=s).exists()
    r = respond(world, s, ResponseType.FULL_PRODUCTION, produced_items=ITEMS, legal_basis="required by federal law")
    assert r.produced_items == sorted(ITEMS)
    s = fresh(s)
    assert s.state == SS.COMPLIED and s.responded_at == r.sent_at
    sweep(SERVED + timedelta(days=4))
    assert fresh(s).state == SS.CLOSED


def test_partial_production_names_what_was_produced(world):
    s = acknowledged(world)
    with pytest.raises(ValidationFailed, match="names the items"):
        respond(world, s, ResponseType.PARTIAL_PRODUCTION, produced_items=[])
    respond(world, s, ResponseType.PARTIAL_PRODUCTION, produced_items=[ItemCategory.RELEASE_DATE])
    assert fresh(s).state == SS.PARTIAL


@pytest.mark.parametrize("response_type", [ResponseType.OBJECTION_LETTER, ResponseType.DECLINATION])
def test_objection_and_declination_state_their_grounds(world, response_type):
    s = acknowledged(world)
    with pytest.raises(ValidationFailed, match="states its grounds"):
        respond(world, s, response_type, grounds="  ")
    respond(world, s, response_type, grounds="Tenth Amendment; no court order")
    assert fresh(s).state == (SS.OBJECTED if response_type == ResponseType.OBJECTION_LETTER else SS.DECLINED)


@pytest.mark.parametrize("rule", [SubpoenaRule.DECLINE_DOCUMENT_REPORT, SubpoenaRule.JUDICIAL_ONLY])
def test_production_is_refused_where_local_law_requires_a_court_order(world, rule):
    make_policy(world.lea.jurisdiction, "TEST-SUBPOENA", subpoena=rule)
    s = acknowledged(world)
    for kind, produced in (
        (ResponseType.FULL_PRODUCTION, ITEMS),
        (ResponseType.PARTIAL_PRODUCTION, [ItemCategory.RELEASE_DATE]),
    ):
        with pytest.raises(GuardRefused) as info:
            respond(world, s, kind, produced_items=produced)
        assert info.value.rule == "TEST-SUBPOENA v1"
        assert "Test citation for TEST-SUBPOENA" in str(info.value)
    assert fresh(s).state == SS.RESPONSE_DUE
    respond(world, s, ResponseType.DECLINATION, grounds="State law: decline, document and report")
    assert fresh(s).state == SS.DECLINED


def test_production_refusal_names_the_restricting_policy_among_several(world):
    """The state's rule refuses; an unrelated county policy (sorted after it) must not be named instead."""
    make_policy(world.lea.jurisdiction.parent, "AA-STATE-SUBPOENAS", subpoena=SubpoenaRule.DECLINE_DOCUMENT_REPORT)
    make_policy(world.lea.jurisdiction, "ZZ-COUNTY", hold=HoldRule.HONOR, notify=NotifyRule.ALLOWED)
    s = acknowledged(world)
    with pytest.raises(GuardRefused) as info:
        respond(world, s, ResponseType.FULL_PRODUCTION, produced_items=ITEMS)
    assert info.value.rule == "AA-STATE-SUBPOENAS v1"
    assert info.value.citation == "Test citation for AA-STATE-SUBPOENAS"


# ----------------------------------------------------------------------------------- return date and alerts


def test_sweep_alerts_at_t5_t2_t0_without_duplicates_and_lapses_at_the_return_date(world):
    s = acknowledged(world)
    due = s.return_due_at
    lea_org = world.lea_org

    def alerts() -> list[str]:
        return sorted(
            WorkItem.objects.filter(subpoena=s, kind=WorkItemKind.SUBPOENA_RETURN_DUE).values_list(
                "dedupe_key", flat=True
            )
        )

    assert sweep(due - timedelta(days=6)).subpoena_alerts == 0
    assert sweep(due - timedelta(days=4)).subpoena_alerts == 1
    assert sweep(due - timedelta(days=4)).subpoena_alerts == 0
    assert sweep(due - timedelta(days=3)).subpoena_alerts == 0  # still the T-5 window
    assert sweep(due - timedelta(hours=36)).subpoena_alerts == 1
    assert sweep(due - timedelta(hours=30)).subpoena_alerts == 0
    assert sweep(due - timedelta(hours=12)).subpoena_alerts == 1
    assert sweep(due - timedelta(seconds=1)).subpoena_alerts == 0
    assert alerts() == sorted(f"SUBPOENA_RETURN_DUE:subpoena:{s.pk}:T-{n}" for n in (0, 2, 5))
    assert {i.organization for i in WorkItem.objects.filter(subpoena=s)} == {lea_org}
    assert {i.due_at for i in WorkItem.objects.filter(subpoena=s)} == {due}
    assert fresh(s).state == SS.RESPONSE_DUE

    assert sweep(due).subpoenas_lapsed == 1
    s = fresh(s)
    assert s.state == SS.NO_RESPONSE
    lapse = Transition.objects.get(case_type="subpoena", case_id=s.pk, name="lapse")
    assert lapse.at == due and lapse.actor.role == "SYSTEM"
    again = sweep(due + timedelta(hours=1))
    assert again.subpoenas_lapsed == 0 and again.subpoena_alerts == 0
    assert len(alerts()) == 3
    # Late voluntary compliance is still possible before referral.
    r = respond(world, s, ResponseType.FULL_PRODUCTION, produced_items=ITEMS, at=due + timedelta(days=2))
    assert fresh(s).state == SS.COMPLIED
    assert Transition.objects.get(case_type="subpoena", case_id=s.pk, name="comply").data["late"] is True
    assert r.sent_at > due


def test_an_answer_before_the_return_date_stops_the_lapse(world):
    s = acknowledged(world)
    respond(world, s, ResponseType.OBJECTION_LETTER, grounds="indefinite")
    assert sweep(s.return_due_at + timedelta(days=1)).subpoenas_lapsed == 0
    assert fresh(s).state == SS.OBJECTED


# ------------------------------------------------------------------------------------------ court enforcement


@pytest.mark.smoke
def test_full_enforcement_chain_to_contempt_purged_and_closed(world):
    s = acknowledged(world)
    due = s.return_due_at
    sweep(due)
    assert fresh(s).state == SS.NO_RESPONSE

    with pytest.raises(NotPermitted):
        ss.subpoena_refer(actor=world.officer, subpoena=s, doj_office=world.doj)
    with pytest.raises(ValidationFailed, match="Department of Justice"):
        ss.subpoena_refer(actor=world.supervisor, subpoena=s, doj_office=world.office)
    ref = ss.subpoena_refer(actor=world.supervisor, subpoena=s, doj_office=world.doj, at=due + timedelta(days=5))
    assert ref.state == ReferralState.OPEN and ref.usao_district == "D. TX"
    assert fresh(s).state == SS.REFERRED

    other = make_world(suffix=" (other)")
    with pytest.raises(NotPermitted, match="DOJ office that received the referral"):
        ss.court_petition_file(actor=other.doj_attorney, referral=ref, court="S.D. Tex.", case_number="4:26-mc-1")
    with pytest.raises(ValidationFailed):
        ss.court_petition_file(actor=world.doj_attorney, referral=ref, court=" ", case_number="4:26-mc-1")
    case = ss.court_petition_file(
        actor=world.doj_attorney,
        referral=ref,
        court="S.D. Tex.",
        case_number="4:26-mc-00011",
        at=due + timedelta(days=20),
    )
    assert case.state == CS.PETITION_FILED
    assert fresh(s).state == SS.IN_COURT
    assert EnforcementReferral.objects.get(pk=ref.pk).state == ReferralState.PETITION_FILED

    osc = order(world, case, OrderType.COURT_ORDER_TO_SHOW_CAUSE, due + timedelta(days=22), issued_by="M.J. Example")
    case.refresh_from_db()
    assert case.state == CS.OSC_ISSUED and osc.get_order_type_display() == "Order to show cause (federal court)"
    order(world, case, OrderType.BRIEFING_SCHEDULE, due + timedelta(days=30))
    case.refresh_from_db()
    assert case.state == CS.BRIEFING

    with pytest.raises(ValidationFailed, match="comply-by"):
        order(world, case, OrderType.ORDER_ENFORCING_SUBPOENA, due + timedelta(days=70))
    issued = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)  # Wednesday; +14 = Wednesday 2026-06-03
    order(world, case, OrderType.ORDER_ENFORCING_SUBPOENA, issued, comply_within_days=14, issued_by="M.J. Example")
    case.refresh_from_db()
    assert case.state == CS.ENFORCED
    assert case.comply_by == datetime(2026, 6, 3, 23, 59, 59, tzinfo=ZoneInfo("America/Chicago"))
    assert case.comply_rule == "R-COMPLY-BY v1"
    names = list(Transition.objects.filter(case_type="court_case", case_id=case.pk).values_list("name", flat=True))
    assert names == ["file_petition", "issue_osc", "set_briefing", "take_under_advisement", "enforce"]
    assert fresh(s).state == SS.IN_COURT

    assert sweep(case.comply_by - timedelta(seconds=1)).court_noncompliance == 0
    assert sweep(case.comply_by).court_noncompliance == 1
    assert sweep(case.comply_by).court_noncompliance == 0
    case.refresh_from_db()
    assert case.state == CS.NONCOMPLIANCE
    [clock] = clocks.court_clocks(case)
    assert clock.status(case.comply_by + timedelta(days=1)) == "expired"

    ss.court_case_advance(
        actor=world.doj_attorney, case=case, action="move_for_contempt", at=case.comply_by + timedelta(days=3)
    )
    case.refresh_from_db()
    assert case.state == CS.CONTEMPT_MOTION
    order(world, case, OrderType.CONTEMPT_FINDING, case.comply_by + timedelta(days=20))
    case.refresh_from_db()
    assert case.state == CS.CONTEMPT_FOUND

    purged_at = case.comply_by + timedelta(days=22)
    ss.court_compliance_record(actor=world.lea_counsel, case=case, at=purged_at)
    case.refresh_from_db()
    s = fresh(s)
    assert case.state == CS.PURGED
    assert s.state == SS.COMPLIED_UNDER_ORDER
    production = SubpoenaResponse.objects.get(subpoena=s, response_type=ResponseType.PRODUCTION_UNDER_COURT_ORDER)
    assert production.produced_items == sorted(ITEMS)
    assert "S.D. Tex." in production.legal_basis

    result = sweep(purged_at + timedelta(hours=1))
    assert result.cases_closed == 2
    case.refresh_from_db()
    assert case.state == CS.CLOSED and fresh(s).state == SS.CLOSED
    assert sweep(purged_at + timedelta(hours=1)).cases_closed == 0


def test_compliance_under_the_order_before_the_deadline(world):
    s, _ref, case = in_court(world)
    order(world, case, OrderType.BRIEFING_SCHEDULE, s.return_due_at + timedelta(days=30))
    order(world, case, OrderType.ORDER_ENFORCING_SUBPOENA, s.return_due_at + timedelta(days=60), comply_within_days=10)
    case.refresh_from_db()
    ss.court_compliance_record(actor=world.lea_counsel, case=case, at=case.comply_by - timedelta(days=2))
    case.refresh_from_db()
    assert case.state == CS.COMPLIED
    assert sweep(case.comply_by + timedelta(days=1)).court_noncompliance == 0
    case.refresh_from_db()
    assert case.state == CS.CLOSED and fresh(s).state == SS.CLOSED
    assert clocks.court_clocks(case)[0].status(case.comply_by + timedelta(days=1)) == "met"


def test_enforcement_order_needs_the_case_to_be_argued_first(world):
    s, _ref, case = in_court(world)
    with pytest.raises(InvalidTransition):
        order(
            world, case, OrderType.ORDER_ENFORCING_SUBPOENA, s.return_due_at + timedelta(days=25), comply_within_days=7
        )
    case.refresh_from_db()
    assert case.state == CS.PETITION_FILED and not case.orders.exists()


def test_denial_quashes_the_subpoena(world):
    s, _ref, case = in_court(world)
    order(world, case, OrderType.BRIEFING_SCHEDULE, s.return_due_at + timedelta(days=30))
    order(world, case, OrderType.ORDER_DENYING_ENFORCEMENT, s.return_due_at + timedelta(days=90))
    case.refresh_from_db()
    assert case.state == CS.DENIED and fresh(s).state == SS.QUASHED
    assert sweep(s.return_due_at + timedelta(days=91)).cases_closed == 2
    case.refresh_from_db()
    assert case.state == CS.CLOSED and fresh(s).state == SS.CLOSED


def test_dismissal_withdraws_the_subpoena(world):
    s, _ref, case = in_court(world)
    order(world, case, OrderType.DISMISSAL, s.return_due_at + timedelta(days=25), terms="moot")
    case.refresh_from_db()
    assert case.state == CS.DISMISSED and fresh(s).state == SS.WITHDRAWN
    sweep(s.return_due_at + timedelta(days=26))
    case.refresh_from_db()
    assert case.state == CS.CLOSED and fresh(s).state == SS.CLOSED


def test_referral_declined_by_the_usao_withdraws_the_subpoena(world):
    s = acknowledged(world)
    sweep(s.return_due_at)
    ref = ss.subpoena_refer(actor=world.agency_counsel, subpoena=s, doj_office=world.doj, at=s.return_due_at)
    with pytest.raises(NotPermitted):
        ss.referral_decline(actor=world.supervisor, referral=ref, reason="no")
    ss.referral_decline(
        actor=world.doj_attorney, referral=ref, reason="declined", at=s.return_due_at + timedelta(days=9)
    )
    assert EnforcementReferral.objects.get(pk=ref.pk).state == ReferralState.DECLINED_BY_USAO
    assert fresh(s).state == SS.WITHDRAWN
    sweep(s.return_due_at + timedelta(days=10))
    assert fresh(s).state == SS.CLOSED
    with pytest.raises(InvalidTransition):
        ss.court_petition_file(actor=world.doj_attorney, referral=ref, court="S.D. Tex.", case_number="4:26-mc-2")


def test_issuer_withdraws_an_objected_subpoena(world):
    s = acknowledged(world)
    respond(world, s, ResponseType.OBJECTION_LETTER, grounds="relevance")
    ss.subpoena_withdraw(actor=world.supervisor, subpoena=s, reason="moot", at=SERVED + timedelta(days=5))
    assert fresh(s).state == SS.WITHDRAWN


def test_court_order_to_show_cause_is_not_the_immigration_charging_document():
    court_osc, charging_osc = OrderType.COURT_ORDER_TO_SHOW_CAUSE, ChargingDocument.IMMIGRATION_OSC
    assert court_osc.value != charging_osc.value
    assert court_osc.label != charging_osc.label
    assert "federal court" in court_osc.label.lower()
    assert "immigration charging document" in charging_osc.label.lower()
    assert "immigration" not in court_osc.label.lower()
    assert "court" not in charging_osc.label.lower()
    assert charging_osc.value not in OrderType.values and court_osc.value not in ChargingDocument.values
