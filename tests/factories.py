"""Factories for tests: reference rows are built directly (they are reference data, not case writes);
every case write goes through the services, as in production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import factory

from holdtrack.accounts.models import Organization, OrgKind, Role, User
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    ItemCategory,
    OrderType,
    PCBasis,
    ResponseType,
    ServiceMethod,
    Subpoena,
    WarrantType,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking, MatchBasis, Subject
from holdtrack.jurisdictions.models import (
    AgencyType,
    AreaOfResponsibility,
    Facility,
    HoldRule,
    Instrument,
    Jurisdiction,
    LawEnforcementAgency,
    Level,
    NotifyRule,
    Policy,
    SubpoenaRule,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday


class AorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AreaOfResponsibility
        django_get_or_create = ("name",)

    name = "Houston"


class StateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("fips",)

    level = Level.STATE
    name = "Texas"
    state_abbr = "TX"
    fips = "48"
    timezone = "America/Chicago"


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("fips",)

    level = Level.COUNTY
    name = "Harris County"
    state_abbr = "TX"
    fips = "48201"
    parent = factory.SubFactory(StateFactory)
    aor = factory.SubFactory(AorFactory)
    timezone = "America/Chicago"


class LeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LawEnforcementAgency
        django_get_or_create = ("ori",)

    # An ORI is nine characters: the thousandth LEA of a session (the service matrix builds many) switches to a
    # form ending in a letter, which no earlier one has.
    ori = factory.Sequence(lambda n: f"TX{n:03d}0000" if n < 1000 else f"TX{n:06d}A")
    name = factory.LazyAttribute(lambda o: f"Sheriff's Office {o.ori}")
    agency_type = AgencyType.SHERIFF
    jurisdiction = factory.SubFactory(CountyFactory)


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TX{n:03d}CJ")
    name = "County Jail"
    operator = factory.SubFactory(LeaFactory)
    timezone = factory.LazyAttribute(lambda o: o.operator.jurisdiction.timezone)


class OrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("kind", "name")

    kind = OrgKind.AGENCY_OFFICE
    name = "Houston Field Office"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AGENCY_OFFICER
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")


@dataclass
class World:
    lea: LawEnforcementAgency
    facility: Facility
    office: Organization
    lea_org: Organization
    doj: Organization
    officer: User
    supervisor: User
    agency_counsel: User
    booking_clerk: User
    lea_counsel: User
    doj_attorney: User


def make_world(
    *, county: Jurisdiction | None = None, ori: str | None = None, neutral_review: bool = False, suffix: str = ""
) -> World:
    county = county or CountyFactory()
    lea = LeaFactory(jurisdiction=county, **({"ori": ori} if ori else {}))
    facility = FacilityFactory(operator=lea, timezone=county.timezone)
    aor = county.aor or AorFactory()
    office = OrgFactory(
        kind=OrgKind.AGENCY_OFFICE,
        name=f"{aor.name} Field Office{suffix}",
        aor=aor,
        neutral_review_required=neutral_review,
    )
    lea_org = OrgFactory(kind=OrgKind.LEA, name=f"{lea.name} ({lea.ori})", lea=lea)
    doj = OrgFactory(
        kind=OrgKind.DOJ, name=f"USAO {county.state_abbr}{suffix}", judicial_district=f"D. {county.state_abbr}"
    )
    return World(
        lea=lea,
        facility=facility,
        office=office,
        lea_org=lea_org,
        doj=doj,
        officer=UserFactory(role=Role.AGENCY_OFFICER, organization=office),
        supervisor=UserFactory(
            role=Role.AGENCY_SUPERVISOR,
            organization=office,
            title="Field Office Director",
            subpoena_authority="Field Office Director, 8 CFR 287.4(a)(1)",
        ),
        agency_counsel=UserFactory(role=Role.AGENCY_COUNSEL, organization=office),
        booking_clerk=UserFactory(role=Role.LEA_BOOKING, organization=lea_org),
        lea_counsel=UserFactory(role=Role.LEA_COUNSEL, organization=lea_org),
        doj_attorney=UserFactory(role=Role.DOJ_ATTORNEY, organization=doj),
    )


def make_policy(
    jurisdiction: Jurisdiction,
    key: str,
    *,
    hold: str = HoldRule.NEVER,
    notify: str = NotifyRule.PROHIBITED,
    subpoena: str = SubpoenaRule.LEGAL_REVIEW,
    version: int = 1,
    max_hours: int | None = None,
    release_within_hours: int | None = None,
    effective_from: date = date(2010, 1, 1),
) -> Policy:
    return Policy.objects.create(
        key=key,
        version=version,
        title=key,
        citation=f"Test citation for {key}",
        instrument=Instrument.STATUTE,
        jurisdiction=jurisdiction,
        effective_from=effective_from,
        hold_requests=hold,
        notification_requests=notify,
        subpoena_handling=subpoena,
        hold_max_hours=max_hours,
        release_within_hours=release_within_hours,
        summary="test policy",
    )


_booking_seq = iter(range(1, 10_000_000))


def book(w: World, *, at: datetime = T0, **kwargs) -> Booking:
    subject = cs.subject_create(
        actor=w.booking_clerk,
        first_name="Test",
        last_name=f"Subject{next(_booking_seq)}",
        date_of_birth=date(1990, 1, 1),
        sex="M",
        birth_country="Mexico",
    )
    return cs.booking_create(
        actor=w.booking_clerk,
        subject=subject,
        facility=w.facility,
        booking_number=f"B{next(_booking_seq)}",
        booked_at=at,
        **kwargs,
    )


def registry_subject(w: World, **kwargs) -> Subject:  # type: ignore[no-untyped-def]
    """The agency's own record of a person (as `import registry` stores it), apart from any booking."""
    kwargs.setdefault("first_name", "Registry")
    kwargs.setdefault("last_name", f"Person{next(_booking_seq)}")
    kwargs.setdefault("date_of_birth", date(1990, 1, 1))
    return cs.subject_create(actor=w.officer, **kwargs)


def confirmed_match(w: World, booking: Booking, *, at: datetime = T0, subject: Subject | None = None):  # type: ignore[no-untyped-def]
    """Confirm that the booked person is ``subject`` (a registry record: the booked and registry records become
    one person) or, by default, the booked record itself."""
    m = cs.identity_match_propose(
        actor=w.officer, booking=booking, subject=subject or booking.subject, basis=MatchBasis.BIOMETRIC, at=at
    )
    return cs.identity_match_review(actor=w.officer, match=m, confirm=True, reason="prints match", at=at)


def prepared(
    w: World,
    *,
    at: datetime = T0,
    booking: Booking | None = None,
    warrant: bool = True,
    registry: Subject | None = None,
    **kwargs,
) -> Detainer:
    booking = booking or book(w, at=at)
    m = confirmed_match(w, booking, at=at, subject=registry)
    kwargs.setdefault("pc_bases", [PCBasis.BIOMETRIC_AND_DATABASE])
    d = ds.detainer_prepare(actor=w.officer, booking=booking, identity_match=m, at=at + timedelta(minutes=5), **kwargs)
    if warrant:
        ds.warrant_attach(
            actor=w.officer,
            detainer=d,
            warrant_type=WarrantType.I200,
            signed_by_name="A. Officer",
            signed_by_title="Supervisory Detention and Deportation Officer",
            signed_at=at + timedelta(minutes=6),
            at=at + timedelta(minutes=6),
        )
    return d


def received(w: World, *, at: datetime = T0, **kwargs) -> Detainer:
    d = prepared(w, at=at, **kwargs)
    ds.detainer_approve(actor=w.supervisor, detainer=d, at=at + timedelta(minutes=10))
    ds.detainer_transmit(actor=w.officer, detainer=d, at=at + timedelta(minutes=11))
    ds.detainer_receive(actor=w.booking_clerk, detainer=d, at=at + timedelta(minutes=30))
    d.refresh_from_db()
    return d


def hold_eligible(w: World, *, at: datetime = T0, **kwargs) -> Detainer:
    d = received(w, at=at, **kwargs)
    ds.detainer_serve_subject(
        actor=w.booking_clerk, detainer=d, method=ServiceMethod.IN_PERSON, at=at + timedelta(minutes=40)
    )
    ds.detainer_decide(actor=w.lea_counsel, detainer=d, decision="HONOR_HOLD", at=at + timedelta(hours=1))
    d.refresh_from_db()
    return d


# ---------------------------------------------------------------------------------- scenario helpers
# Shared by the access, desks, reports and documents tests. Every write goes through the services.

SUBPOENA_STAGES = ("draft", "issued", "served", "acknowledged", "declined", "referred", "in_court", "enforced")


def other_aor_world(suffix: str = " B") -> World:
    """A world in another state and another area of responsibility (Los Angeles)."""
    state = StateFactory(fips="06", name="California", state_abbr="CA", timezone="America/Los_Angeles")
    county = CountyFactory(
        fips="06037",
        name="Los Angeles County",
        state_abbr="CA",
        parent=state,
        aor=AorFactory(name="Los Angeles"),
        timezone="America/Los_Angeles",
    )
    return make_world(county=county, suffix=suffix)


def subpoena_to(
    w: World, *, stage: str, detainer: Detainer | None = None, subject=None, at: datetime = T0 + timedelta(days=3)
) -> Subpoena:  # type: ignore[no-untyped-def]
    """A subpoena from ``w``'s office to ``w``'s LEA, advanced to ``stage`` (see ``SUBPOENA_STAGES``)."""
    assert stage in SUBPOENA_STAGES
    upto = SUBPOENA_STAGES.index(stage)
    if subject is None:
        subject = detainer.subject if detainer is not None else None
    assert subject is not None
    s = ss.subpoena_draft(
        actor=w.officer,
        recipient_lea=w.lea,
        subject=subject,
        items=[ItemCategory.RELEASE_DATE, ItemCategory.HOME_ADDRESS],
        related_detainer=detainer,
        at=at,
    )
    if upto >= 1:
        ss.subpoena_issue(actor=w.supervisor, subpoena=s, at=at + timedelta(hours=1))
    if upto >= 2:
        ss.subpoena_serve(actor=w.officer, subpoena=s, at=at + timedelta(hours=2))
    if upto >= 3:
        ss.subpoena_acknowledge(actor=w.lea_counsel, subpoena=s, at=at + timedelta(hours=3))
    if upto >= 4:
        ss.subpoena_respond(
            actor=w.lea_counsel,
            subpoena=s,
            response_type=ResponseType.DECLINATION,
            grounds="Local law permits production only under a court order.",
            at=at + timedelta(days=2),
        )
    if upto >= 5:
        ss.subpoena_refer(actor=w.supervisor, subpoena=s, doj_office=w.doj, at=at + timedelta(days=20))
    if upto >= 6:
        ss.court_petition_file(
            actor=w.doj_attorney,
            referral=s.referral,
            court="S.D. Tex.",
            case_number=f"4:26-mc-{s.pk:05d}",
            at=at + timedelta(days=25),
        )
    if upto >= 7:
        case = CourtCase.objects.get(referral__subpoena=s)
        ss.court_order_record(
            actor=w.doj_attorney, case=case, order_type=OrderType.BRIEFING_SCHEDULE, issued_at=at + timedelta(days=26)
        )
        ss.court_order_record(
            actor=w.doj_attorney,
            case=case,
            order_type=OrderType.ORDER_ENFORCING_SUBPOENA,
            issued_at=at + timedelta(days=40),
            issued_by="Hon. A. Judge",
            comply_within_days=14,
        )
    s.refresh_from_db()
    return s


def expired_hold(w: World, *, at: datetime = T0) -> Detainer:
    """A hold that reached its ceiling with the subject still in custody: raises a RELEASE_REQUIRED item."""
    d = hold_eligible(w, at=at)
    eligible = at + timedelta(days=1)
    cs.booking_record_release_eligibility(actor=w.booking_clerk, booking=d.booking, at=eligible, reason="BOND_POSTED")
    ds.detainer_expire_if_due(d, now=eligible + timedelta(hours=48))
    d.refresh_from_db()
    return d
