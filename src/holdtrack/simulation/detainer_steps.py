"""The engine's handlers of a detainer story: booking and match, the agency's and the LEA's steps, custody and
citizenship claims (engine.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from holdtrack.cases.models import (
    LeaDecision,
    NotificationKind,
    WarrantType,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.core.errors import DomainError
from holdtrack.custody import services as cs
from holdtrack.custody.identity import open_claim_for_person
from holdtrack.intake.bookings import BookingFacts, booking_intake
from holdtrack.jurisdictions.models import (
    HoldRule,
)
from holdtrack.jurisdictions.policy import Evaluation
from holdtrack.simulation import params as P
from holdtrack.simulation.engine_base import OPEN_DETAINER, SIM, EngineBase, Run, S
from holdtrack.simulation.people import booked_person, staff_name
from holdtrack.simulation.planner import DETAINER, booking_number


class DetainerSteps(EngineBase):
    def on_book(self, at: datetime, r: Run) -> None:
        s, person = r.s, r.s.person
        clerk = self.clerk(r.lea)
        # Through the booking intake, as a jail's feed would: the booked record, then screening.
        taken = booking_intake(
            actor=clerk,
            person=booked_person(person, f"SIM{self.seed}-{s.n:07d}"),
            facts=BookingFacts(
                facility=self.facility(r.lea.facility_pk),
                booking_number=booking_number(self.seed, s.n),
                booked_at=at,
                charge_level=s.charge_level,
                charges=[{"description": c} for c in s.charges],
                serious_conviction=s.serious_conviction,
                projected_release_at=s.eligible_at,
                citizenship_asserted=s.claim == "BOOKING",
            ),
            channel=SIM,
        )
        r.booking, r.subject = taken.booking, taken.booking.subject
        self.push(at + s.delay("propose"), "propose", r)

    def on_propose(self, at: datetime, r: Run) -> None:
        assert r.booking is not None and r.subject is not None
        biometric = r.s.kind == DETAINER
        r.match = cs.identity_match_propose(
            actor=self.sysuser,
            booking=r.booking,
            subject=r.subject,
            basis="BIOMETRIC" if biometric else "BIOGRAPHIC",
            at=at,
            score=round(0.97 + r.rng.random() * 0.03, 4) if biometric else round(0.55 + r.rng.random() * 0.3, 4),
            model_version="ident-sim-1",
            explanation={"source": "simulated IDENT response", "fingerprints": biometric},
        )
        review = (
            r.s.prepare_at if not biometric else max(at + timedelta(minutes=1), r.s.prepare_at - r.s.delay("review"))
        )
        self.push(max(review, at + timedelta(minutes=1)), "review", r)

    def on_review(self, at: datetime, r: Run) -> None:
        assert r.match is not None
        confirm = r.s.kind == DETAINER
        cs.identity_match_review(
            actor=self.officer(r.lea),
            match=r.match,
            confirm=confirm,
            reason="Fingerprint match confirmed against the registry record."
            if confirm
            else "No fingerprint match; the biographic similarity alone does not identify the subject.",
            at=at,
        )
        if confirm:
            self.push(max(r.s.prepare_at, at + timedelta(minutes=1)), "prepare", r)
        else:
            self.push(max(r.s.eligible_at, at + timedelta(minutes=1)), "release_unmatched", r)

    def on_release_unmatched(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type="TIME_SERVED", channel=SIM)
        r.released = True

    # ------------------------------------------------------------------------------------- agency side

    def on_prepare(self, at: datetime, r: Run) -> None:
        assert r.booking is not None and r.match is not None
        s, officer = r.s, self.officer(r.lea)
        r.detainer = ds.detainer_prepare(
            actor=officer,
            booking=r.booking,
            identity_match=r.match,
            form_type=s.form_type,
            pc_bases=list(s.pc_bases),
            charging_document=s.charging_document,
            at=at,
            channel=SIM,
        )
        if s.warrant_type and not s.missing_warrant:
            self.attach_warrant(at, r)
        if s.judicial_warrant and self.evaluation(r.lea, at).hold_rule in (
            HoldRule.JUDICIAL_WARRANT,
            HoldRule.JUDICIAL_WARRANT_AND_SERIOUS,
        ):
            first, last = staff_name(r.rng)
            ds.warrant_attach(
                actor=officer,
                detainer=r.detainer,
                warrant_type=WarrantType.JUDICIAL_ARREST,
                signed_by_name=f"{first} {last}",
                signed_by_title="United States Magistrate Judge",
                court=f"U.S. District Court, {r.lea.district}",
                signed_at=at - timedelta(hours=2),
                at=at,
                channel=SIM,
            )
            r.judicial_attached = True
        if r.detainer.neutral_review_required:
            self.push(at + s.delay("approve") / 2, "neutral_review", r)
        if s.claim == "BOOKING":
            r.claim_resolve_at = at + timedelta(days=s.claim_resolve_days)
            self.push(r.claim_resolve_at, "claim_resolve", r)
        self.push(at + s.delay("approve"), "approve", r)

    def attach_warrant(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        sup = self.supervisor(r.lea)
        ds.warrant_attach(
            actor=self.officer(r.lea),
            detainer=r.detainer,
            warrant_type=r.s.warrant_type,
            signed_by_name=f"{sup.first_name} {sup.last_name}",
            signed_by_title="Supervisory Detention and Deportation Officer",
            signed_at=at,
            number=f"{r.s.warrant_type}-SIM{self.seed}-{r.s.n:07d}",
            at=at,
            channel=SIM,
        )

    def on_attach_warrant(self, at: datetime, r: Run) -> None:
        self.attach_warrant(at, r)
        self.push(at + timedelta(minutes=r.rng.uniform(15, 120)), "approve", r)

    def on_neutral_review(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        ds.detainer_record_neutral_review(
            actor=self.agency_counsel(r.lea),
            detainer=r.detainer,
            result="PC_FOUND",
            at=at,
            reason="Biometric match and database records reviewed.",
        )

    def on_approve(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        try:
            ds.detainer_approve(actor=self.supervisor(r.lea), detainer=r.detainer, at=at, channel=SIM)
        except DomainError as exc:
            self.refused("approve", exc)
            if exc.rule.startswith("R-WARRANT-REQUIRED"):
                # The four-eyes review caught the missing warrant: the officer attaches it and resubmits.
                self.push(at + timedelta(hours=r.rng.uniform(1, 6)), "attach_warrant", r)
            elif exc.rule.startswith("R-CITIZENSHIP-FREEZE"):
                r.awaiting_claim = True  # the claim's resolution decides what happens next
            return
        self.push(at + r.s.delay("transmit"), "transmit", r)

    def on_transmit(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        ds.detainer_transmit(actor=self.officer(r.lea), detainer=r.detainer, at=at, channel=SIM)
        if r.s.released_before_receipt:
            release = at + timedelta(minutes=r.rng.uniform(10, 120))
            self.push(release, "release_before_receipt", r)
            self.push(release + timedelta(hours=r.rng.uniform(1, 6)), "receive", r)
        else:
            self.push(at + r.s.delay("receive"), "receive", r)

    def on_release_before_receipt(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type="PR", channel=SIM)
        r.released = True

    # ---------------------------------------------------------------------------------------- LEA side

    def on_receive(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        # The service returns the row it locked and stepped: its state is the state after receipt and validation.
        r.detainer = ds.detainer_receive(actor=self.clerk(r.lea), detainer=r.detainer, at=at, channel=SIM)
        state = r.detainer.state
        if state == S.VALIDATION_FAILED:
            # Still open after failing validation: the agency cancels the detainer.
            self.push(at + timedelta(hours=r.rng.uniform(2, 48)), "lift_invalid", r)
        elif state in (S.RECEIVED, S.UNDER_POLICY_REVIEW):
            self.push(at + r.s.delay("serve"), "serve", r)
        # Otherwise receipt settled the outcome (the subject had already left custody).

    def on_lift_invalid(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        ds.detainer_lift(
            actor=self.officer(r.lea),
            detainer=r.detainer,
            reason="Case Closed",
            at=at,
            note_text="The subject was no longer in the LEA's custody when the detainer was received.",
            channel=SIM,
        )

    def on_serve(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        ds.detainer_serve_subject(
            actor=self.clerk(r.lea),
            detainer=r.detainer,
            method=r.s.service_method,
            language=r.s.person.language,
            at=at,
            channel=SIM,
        )
        self.push(at + r.s.delay("decide"), "decide", r)

    def choose_decision(self, r: Run, ev: Evaluation) -> str:
        u = r.s.decision_u
        if r.s.form_type == "I247A" and ev.hold_allowed:
            if u < P.HONOR_WHEN_ALLOWED:
                return LeaDecision.HONOR_HOLD
            if u < P.HONOR_WHEN_ALLOWED + P.NOTIFY_INSTEAD_WHEN_ALLOWED and ev.notify_allowed:
                return LeaDecision.NOTIFY_ONLY
            return LeaDecision.DECLINE
        return LeaDecision.NOTIFY_ONLY if ev.notify_allowed else LeaDecision.DECLINE

    def on_decide(self, at: datetime, r: Run) -> None:
        if r.stopped:
            return
        assert r.detainer is not None
        s = r.s
        ev = self.evaluation(r.lea, at, judicial=r.judicial_attached, serious=s.serious_conviction)
        decision = self.choose_decision(r, ev)
        counsel = self.lea_counsel(r.lea)
        if r.judicial_attached:
            # The LEA's counsel confirms the court's warrant through the same service as a real user.
            for w in r.detainer.warrants.filter(is_judicial=True, judicial_confirmed_at__isnull=True):
                ds.warrant_confirm_judicial(actor=counsel, warrant=w, at=at, channel=SIM)
        # Declined without telling the agency (params.DECLINE_RECORDED_P): no decision is recorded, and the
        # subject's release ends the detainer as released before pickup.
        unrecorded = decision == LeaDecision.DECLINE and r.rng.random() >= P.DECLINE_RECORDED_P
        if unrecorded:
            self.stats.events["decline_unrecorded"] += 1
        else:
            try:
                ds.detainer_decide(actor=counsel, detainer=r.detainer, decision=decision, at=at, channel=SIM)
            except DomainError as exc:
                # A guard refused the hold (for instance an open citizenship claim): apply the next answer.
                self.refused("decide", exc)
                decision = LeaDecision.NOTIFY_ONLY if ev.notify_allowed else LeaDecision.DECLINE
                ds.detainer_decide(actor=counsel, detainer=r.detainer, decision=decision, at=at, channel=SIM)
        r.decided_at = at
        eligible = max(s.eligible_at, at + timedelta(hours=P.MIN_DECISION_TO_ELIGIBLE_HOURS))
        if r.claim_resolve_at is not None:
            eligible = max(eligible, r.claim_resolve_at + timedelta(days=1))
        earliest_notice = at + timedelta(minutes=5)
        if s.claim == "LATER":
            # Raised while the detainer is active; eligibility waits for the resolution (no hold on a claim).
            opened = at + timedelta(hours=s.claim_open_hours)
            r.claim_resolve_at = opened + timedelta(days=s.claim_resolve_days)
            self.push(opened, "claim_open", r)
            self.push(r.claim_resolve_at, "claim_resolve", r)
            eligible = max(eligible, r.claim_resolve_at + timedelta(days=1))
            earliest_notice = r.claim_resolve_at + timedelta(hours=1)
        if decision == LeaDecision.DECLINE:
            if not unrecorded:  # an unrecorded decline becomes a candidate at the release (after_release)
                self.note_candidate(at, r)
        else:
            fate_at = max(at + timedelta(minutes=30), at + (eligible - at) * s.fate_u)
            if s.fate in ("lift", "supersede"):
                self.push(fate_at, "lift", r)
            elif s.fate in ("transfer_agency", "early_release"):
                self.push(fate_at, s.fate, r)
            if s.fate not in ("transfer_agency", "early_release") and ev.notify_allowed:
                p = P.HOLD_NOTICE_P if decision == LeaDecision.HONOR_HOLD else P.NOTIFY_ONLY_NOTICE_P
                notice_at = max(eligible - timedelta(hours=s.lead_hours), earliest_notice)
                if s.notice_u < p and notice_at < eligible:
                    self.push(notice_at, "notify", r)
        r.eligible_at = eligible
        self.push(eligible, "eligible", r)

    def on_notify(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None and r.eligible_at is not None
        if r.released or self.detainer_state(r) not in (S.ACTIVE_HOLD_ELIGIBLE, S.ACTIVE_NOTIFY_ONLY):
            return
        n = ds.notification_send(
            actor=self.clerk(r.lea),
            detainer=r.detainer,
            kind=NotificationKind.ADVANCE_RELEASE,
            expected_release_at=r.eligible_at,
            at=at,
            channel=SIM,
        )
        r.notice_lead = n.lead_time_hours

    def on_eligible(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        cs.booking_record_release_eligibility(
            actor=self.clerk(r.lea), booking=r.booking, at=at, reason=r.s.eligibility_reason, channel=SIM
        )
        if r.detainer is None:
            self.push(at + timedelta(minutes=r.s.release_delay_minutes), "release", r)
            return
        state = self.detainer_state(r)
        if state == S.HOLD_IN_EFFECT:
            expires = r.detainer.hold_expires_at
            assert expires is not None
            self.push(expires, "sweep_due")  # first at the ceiling: the hold ends there, whoever acts next
            arrival = r.s.arrival_hours
            if arrival is not None and at + timedelta(hours=arrival) < expires:
                self.push(at + timedelta(hours=arrival), "pickup", r)
            else:
                # No-show: the sweep ends the hold at the ceiling; the jail releases then, sometimes late.
                self.push(expires + timedelta(hours=r.s.late_hours), "release", r)
            return
        if state == S.ACTIVE_NOTIFY_ONLY:
            lead = r.notice_lead
            p = 0.0 if lead is None else (P.PICKUP_AT_RELEASE["ample"] if lead >= 2 else P.PICKUP_AT_RELEASE["short"])
            if r.s.pickup_u < p:
                # Notified in time, the agency is present when the subject is released: no extra custody.
                ds.detainer_transfer_custody(actor=self.officer(r.lea), detainer=r.detainer, at=at, channel=SIM)
                r.released = True
                return
        self.push(at + timedelta(minutes=r.s.release_delay_minutes), "release", r)

    def on_pickup(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        if r.released:
            return
        try:
            ds.detainer_transfer_custody(actor=self.officer(r.lea), detainer=r.detainer, at=at, channel=SIM)
        except DomainError as exc:
            self.refused("pickup", exc)
            self.push(at, "release", r)
            return
        r.released = True

    def on_release(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        release_type = P.RELEASE_TYPE_FOR[r.s.eligibility_reason]
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type=release_type, channel=SIM)
        r.released = True
        self.after_release(at, r)

    def after_release(self, at: datetime, r: Run) -> None:
        released = (S.RELEASED_BEFORE_PICKUP, S.RELEASED_NOTICE_GIVEN)
        if r.detainer is not None and self.limited(r.lea, at) and self.detainer_state(r) in released:
            self.note_candidate(at, r)

    # ----------------------------------------------------------------------------------------- fates

    def on_lift(self, at: datetime, r: Run) -> None:
        assert r.detainer is not None
        if r.released or self.detainer_state(r) not in OPEN_DETAINER:
            return
        ds.detainer_lift(
            actor=self.officer(r.lea),
            detainer=r.detainer,
            reason=r.s.fate_detail,
            at=at,
            note_text=f"Lifted by the issuing office: {r.s.fate_detail}.",
            channel=SIM,
        )

    def on_transfer_agency(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        same_state = [lea for lea in self.leas_by_state[r.lea.state] if lea.pk != r.lea.pk]
        pool = same_state or [lea for lea in self.leas.values() if lea.pk != r.lea.pk]
        target = pool[int(r.s.transfer_u * len(pool)) % len(pool)]
        cs.booking_release(
            actor=self.clerk(r.lea),
            booking=r.booking,
            at=at,
            release_type="TRANSFER_TO_AGENCY",
            released_to=self.lea_obj(target.pk),
            channel=SIM,
        )
        r.released = True

    def on_early_release(self, at: datetime, r: Run) -> None:
        assert r.booking is not None
        if r.released:
            return
        cs.booking_release(actor=self.clerk(r.lea), booking=r.booking, at=at, release_type=r.s.fate_detail, channel=SIM)
        r.released = True
        self.after_release(at, r)

    # ------------------------------------------------------------------------------------- citizenship

    def on_claim_open(self, at: datetime, r: Run) -> None:
        assert r.subject is not None
        cs.citizenship_claim_open(
            actor=self.lea_counsel(r.lea), subject=r.subject, basis="ASSERTED", at=at, channel=SIM
        )

    def on_claim_resolve(self, at: datetime, r: Run) -> None:
        assert r.subject is not None
        claim = open_claim_for_person(r.subject.pk)
        if claim is None:
            return
        verified = r.s.claim_verified
        cs.citizenship_claim_resolve(
            actor=self.supervisor(r.lea),
            claim=claim,
            verified_citizen=verified,
            notes="Birth record verified with the state vital-records office: U.S. citizen."
            if verified
            else "Records checked (birth registration abroad, no derivation or acquisition): not a U.S. citizen.",
            at=at,
        )
        if verified and r.decided_at is None:
            # The detainer was lifted with the claim before the LEA decided; the criminal case runs its course.
            r.stopped = True
            self.push(max(r.s.eligible_at, at + timedelta(hours=P.MIN_DECISION_TO_ELIGIBLE_HOURS)), "eligible", r)
        elif r.awaiting_claim:
            self.push(at + timedelta(minutes=30), "approve", r)
        r.awaiting_claim = False

    # ------------------------------------------------------------------------------------- subpoenas

    def note_candidate(self, at: datetime, r: Run) -> None:
        """A declined or released-before-pickup detainer at a limited-cooperation LEA may start a campaign."""
        lea = r.lea
        if not self.limited(lea, at):
            return
        self.candidates[lea.pk].append(r)
        last = self.last_campaign.get(lea.pk)
        if lea.pk in self.campaign_pending or (last and at - last < timedelta(days=P.CAMPAIGN_COOLDOWN_DAYS)):
            return
        if self.campaign_rng.random() < P.CAMPAIGN_P:
            self.campaign_pending.add(lea.pk)
            self.push(at + timedelta(days=self.campaign_rng.uniform(*P.CAMPAIGN_DELAY_DAYS)), "campaign", lea)
