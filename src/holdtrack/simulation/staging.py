"""Live work on every demo desk: where the demo users sit, and a few cases brought to an open step.

A simulated history ends wherever its stories stand at the horizon, so one office may hold every subpoena
while another has every hold. ``demo_place`` picks one LEA where the whole chain can happen (the busiest
receiving LEA whose law lets it honor a hold), with its field office and the DOJ office of its district;
``demo_work_stage`` then drives a handful of cases there through the same services a user would call, each
stamped in the recent past and left at the step a demo user takes next: matches to review, a detainer to
approve, one to receive, a hold counting down, a citizenship claim under review, subpoenas to sign, to answer
and past their return date, an open referral and a court case under an enforcement order with its comply-by
date still ahead. Bookings are numbered ``DEMO-nnn``; when they exist, staging is skipped (re-runs add
nothing).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from holdtrack.accounts.models import Organization
from holdtrack.accounts.services import organization_doj, organization_for_aor, organization_for_lea
from holdtrack.audit.models import Channel
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    ItemCategory,
    LeaDecision,
    OrderType,
    PCBasis,
    ResponseType,
    ServiceMethod,
    Subpoena,
    WarrantType,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.timeutil import clock
from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking, ClaimBasis, MatchBasis
from holdtrack.intake.bookings import BookingFacts, booking_intake
from holdtrack.jurisdictions.models import AreaOfResponsibility, LawEnforcementAgency
from holdtrack.jurisdictions.policy import evaluate
from holdtrack.simulation.people import booked_person, make_person
from holdtrack.simulation.planner import LeaInfo, load_leas
from holdtrack.simulation.staff import Staff

PREFIX = "DEMO-"
SIM = Channel.SIMULATOR
T = TypeVar("T")


@dataclass(frozen=True)
class DemoPlace:
    lea: LeaInfo
    office: Organization
    lea_org: Organization
    doj: Organization


def demo_place() -> DemoPlace | None:
    """The busiest receiving LEA (by simulated detainers, then ORI) whose law lets it honor a hold today."""
    leas = load_leas()
    if not leas:
        return None
    counts = dict(Detainer.objects.values_list("addressed_lea").annotate(n=Count("id")))
    today = timezone.now().date()
    objs = LawEnforcementAgency.objects.select_related("jurisdiction").in_bulk([lea.pk for lea in leas])
    for lea in sorted(leas, key=lambda x: (-counts.get(x.pk, 0), x.ori)):
        if evaluate(objs[lea.pk], on=today).hold_allowed:
            return DemoPlace(
                lea=lea,
                office=organization_for_aor(AreaOfResponsibility.objects.get(pk=lea.aor_id)),
                lea_org=organization_for_lea(objs[lea.pk]),
                doj=organization_doj(lea.district),
            )
    return None


def demo_work_staged() -> bool:
    return Booking.objects.filter(booking_number__startswith=PREFIX).exists()


def demo_work_stage(place: DemoPlace, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Drive the demo's open cases at ``place`` through the services; returns the number of steps taken (0 when
    they already exist)."""
    if demo_work_staged():
        return 0
    with transaction.atomic():
        return _Stager(place, progress).run()


class _Stager(Staff):
    def __init__(self, place: DemoPlace, progress: Callable[[int, int], None] | None) -> None:
        super().__init__()
        self.place, self.lea, self.progress = place, place.lea, progress
        self.now = timezone.now().replace(microsecond=0)
        self.rng = random.Random("holdtrack-demo")
        self.n = 0
        self.steps = 0
        self.by_officer, self.by_supervisor, self.by_counsel = self.office_staff(self.lea)
        self.by_clerk, self.by_lea_counsel = self.lea_staff(self.lea)
        self.by_doj = self.doj_attorney(self.lea.district)

    @contextmanager
    def _at(self, hours_ago: float) -> Iterator[datetime]:
        at = self.now - timedelta(hours=hours_ago)
        with clock(at):  # the staged fact's time counts as now for every check the service makes
            yield at
        self.steps += 1

    def call(self, hours_ago: float, fn: Callable[..., T], **kwargs: Any) -> T:
        with self._at(hours_ago) as at:
            return fn(at=at, **kwargs)

    # ------------------------------------------------------------------------------------------- cases

    def book(self, hours_ago: float) -> Booking:
        self.n += 1
        person = make_person(self.rng, self.now.date())
        facts = BookingFacts(
            facility=self.facility(self.lea.facility_pk),
            booking_number=f"{PREFIX}{self.n:03d}",
            booked_at=self.now - timedelta(hours=hours_ago),
            charge_level="MISDEMEANOR",
            charges=[{"description": "Driving without a valid license"}],
        )
        booked = booked_person(person, f"SIMDEMO-{self.n:03d}")
        with self._at(hours_ago):
            return booking_intake(actor=self.by_clerk, person=booked, facts=facts, channel=SIM).booking

    def proposed(self, hours_ago: float) -> Any:
        b = self.book(hours_ago)
        return self.call(
            hours_ago - 0.1,
            cs.identity_match_propose,
            actor=self.sysuser,
            booking=b,
            subject=b.subject,
            basis=MatchBasis.BIOMETRIC,
            score=0.985,
            model_version="ident-sim-1",
            explanation={"source": "simulated IDENT response", "fingerprints": True},
        )

    def prepared(self, hours_ago: float) -> Detainer:
        m = self.proposed(hours_ago)
        self.call(
            hours_ago - 0.3,
            cs.identity_match_review,
            actor=self.by_officer,
            match=m,
            confirm=True,
            reason="Fingerprint match confirmed against the registry record.",
        )
        d = self.call(
            hours_ago - 0.5,
            ds.detainer_prepare,
            actor=self.by_officer,
            booking=m.booking,
            identity_match=m,
            pc_bases=[PCBasis.BIOMETRIC_AND_DATABASE],
            channel=SIM,
        )
        self.call(
            hours_ago - 0.6,
            ds.warrant_attach,
            actor=self.by_officer,
            detainer=d,
            warrant_type=WarrantType.I200,
            signed_by_name=f"{self.by_supervisor.first_name} {self.by_supervisor.last_name}",
            signed_by_title="Supervisory Detention and Deportation Officer",
            signed_at=self.now - timedelta(hours=hours_ago - 0.6),
            channel=SIM,
        )
        return d

    def transmitted(self, hours_ago: float) -> Detainer:
        d = self.prepared(hours_ago)
        self.call(hours_ago - 1, ds.detainer_approve, actor=self.by_supervisor, detainer=d, channel=SIM)
        self.call(hours_ago - 1.2, ds.detainer_transmit, actor=self.by_officer, detainer=d, channel=SIM)
        return d

    def received(self, hours_ago: float) -> Detainer:
        d = self.transmitted(hours_ago)
        self.call(hours_ago - 1.5, ds.detainer_receive, actor=self.by_clerk, detainer=d, channel=SIM)
        return d

    def holding(self, hours_ago: float, eligible_hours_ago: float) -> Detainer:
        d = self.received(hours_ago)
        self.call(
            hours_ago - 2,
            ds.detainer_serve_subject,
            actor=self.by_clerk,
            detainer=d,
            method=ServiceMethod.IN_PERSON,
            language="en",
            channel=SIM,
        )
        self.call(
            hours_ago - 3, ds.detainer_decide, actor=self.by_lea_counsel, detainer=d, decision=LeaDecision.HONOR_HOLD
        )
        self.call(
            eligible_hours_ago,
            cs.booking_record_release_eligibility,
            actor=self.by_clerk,
            booking=d.booking,
            reason="BOND_POSTED",
            channel=SIM,
        )
        return d

    def subpoena(self, days_ago: float, *, serve: bool = True, return_days: int = 14) -> Subpoena:
        """A subpoena about a subject booked and released at the LEA before it was drafted."""
        h = days_ago * 24
        b = self.book(h + 240)
        self.call(h + 48, cs.booking_release, actor=self.by_clerk, booking=b, release_type="TIME_SERVED", channel=SIM)
        s = self.call(
            h,
            ss.subpoena_draft,
            actor=self.by_officer,
            recipient_lea=self.lea_obj(self.lea.pk),
            subject=b.subject,
            items=[ItemCategory.HOME_ADDRESS, ItemCategory.WORK_ADDRESS, ItemCategory.PHONE],
            return_days=return_days,
        )
        if serve:
            self.call(h - 1, ss.subpoena_issue, actor=self.by_supervisor, subpoena=s)
            self.call(h - 2, ss.subpoena_serve, actor=self.by_officer, subpoena=s, method="PERSONAL", channel=SIM)
        return s

    def objected(self, days_ago: float) -> Subpoena:
        s = self.subpoena(days_ago)
        self.call(
            days_ago * 24 - 72,
            ss.subpoena_respond,
            actor=self.by_lea_counsel,
            subpoena=s,
            response_type=ResponseType.OBJECTION_LETTER,
            grounds="An administrative subpoena is not a court order; the agency will comply with an order of a "
            "federal court.",
            channel=SIM,
        )
        return s

    def referred(self, days_ago: float, refer_days_ago: float) -> Subpoena:
        s = self.objected(days_ago)
        self.call(
            refer_days_ago * 24,
            ss.subpoena_refer,
            actor=self.by_supervisor,
            subpoena=s,
            doj_office=self.place.doj,
            memo="Recipient has not complied with the administrative subpoena; enforcement under "
            "8 U.S.C. 1225(d)(4)(B) requested.",
        )
        s.refresh_from_db()
        return s

    def in_court(self, days_ago: float) -> CourtCase:
        s = self.referred(days_ago, days_ago - 15)
        court = self.lea.district
        number = next(
            f"{self.now:%y}-mc-{n:05d}"
            for n in range(9001, 99999)
            if not CourtCase.objects.filter(court=court, case_number=f"{self.now:%y}-mc-{n:05d}").exists()
        )
        assert s.referral is not None
        case = self.call(
            (days_ago - 25) * 24,
            ss.court_petition_file,
            actor=self.by_doj,
            referral=s.referral,
            court=court,
            case_number=number,
        )
        judge = "Avery Moreno, United States Magistrate Judge"
        for order, days, within, terms in (
            (OrderType.BRIEFING_SCHEDULE, days_ago - 30, None, "Respondent's response due in 21 days."),
            (
                OrderType.ORDER_ENFORCING_SUBPOENA,
                4,
                14,
                "Respondent shall produce the records requested within 14 days of this order.",
            ),
        ):
            with self._at(days * 24) as at:
                ss.court_order_record(
                    actor=self.by_doj,
                    case=case,
                    order_type=order,
                    issued_at=at,
                    issued_by=judge,
                    comply_within_days=within,
                    terms=terms,
                )
        return case

    # ---------------------------------------------------------------------------------------------- run

    def run(self) -> int:
        parts: list[Callable[[], Any]] = [
            lambda: self.proposed(3),  # matches to review
            lambda: self.proposed(1),
            lambda: self.prepared(2),  # a detainer awaiting the supervisor's approval
            lambda: self.transmitted(4),  # for the LEA to receive
            lambda: self.holding(30, 6),  # a hold counting down: eligible 6 h ago, 42 h left
            lambda: self.claimed(20),  # a citizenship claim under review
            lambda: self.subpoena(0.1, serve=False),  # a subpoena to sign
            lambda: self.subpoena(3),  # served, its return date ahead (the LEA's counsel answers)
            lambda: self.subpoena(20),  # served 20 days ago: past its return date (lapses at the sweep)
            lambda: self.referred(40, 15),  # an open referral to DOJ
            lambda: self.in_court(90),  # a court case with an enforcement order and a comply-by date ahead
        ]
        for i, part in enumerate(parts, 1):
            part()
            if self.progress is not None:
                self.progress(i, len(parts))
        return self.steps

    def claimed(self, hours_ago: float) -> Detainer:
        d = self.received(hours_ago)
        self.call(
            hours_ago - 4,
            cs.citizenship_claim_open,
            actor=self.by_lea_counsel,
            subject=d.subject,
            basis=ClaimBasis.ASSERTED,
            channel=SIM,
        )
        return d
