"""The engine's handlers of subpoena campaigns, court enforcement and the sweep (engine.py)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from holdtrack.accounts.services import organization_doj
from holdtrack.cases.models import (
    CourtCase,
    OrderType,
    ResponseType,
)
from holdtrack.cases.services import subpoenas as ss
from holdtrack.cases.services.sweep import sweep
from holdtrack.jurisdictions.models import (
    HoldRule,
    SubpoenaRule,
)
from holdtrack.jurisdictions.policy import Evaluation
from holdtrack.simulation import params as P
from holdtrack.simulation.engine_base import NONCOMPLIANT, ORDER_TERMS, SIM, EngineBase, SubRun
from holdtrack.simulation.people import staff_name
from holdtrack.simulation.planner import LeaInfo


class SubpoenaSteps(EngineBase):
    def on_campaign(self, at: datetime, lea: LeaInfo) -> None:
        self.campaign_pending.discard(lea.pk)
        self.last_campaign[lea.pk] = at
        pool = [c for c in reversed(self.candidates[lea.pk]) if not c.subpoenaed]
        chosen = pool[: self.campaign_rng.randint(*P.CAMPAIGN_SIZE)]
        self.stats.campaigns += 1
        for i, story in enumerate(chosen):
            story.subpoenaed = True
            sub = SubRun(lea, story, random.Random(f"{self.seed}:subpoena:{story.s.n}"))
            self.push(at + timedelta(minutes=10 * i + sub.rng.uniform(1, 9)), "sub_draft", sub)

    def recipient_class(self, lea: LeaInfo, at: datetime) -> tuple[str, Evaluation]:
        ev = self.evaluation(lea, at)
        if ev.subpoena_handling in (SubpoenaRule.DECLINE_DOCUMENT_REPORT, SubpoenaRule.JUDICIAL_ONLY):
            return "forbidden", ev
        return ("limited" if ev.hold_rule != HoldRule.HONOR else "cooperative"), ev

    def on_sub_draft(self, at: datetime, sub: SubRun) -> None:
        rng, story = sub.rng, sub.story
        assert story.subject is not None
        items = sorted(rng.sample(P.SUBPOENA_ITEMS, rng.randint(*P.ITEMS_PER_SUBPOENA)))
        u, days = rng.random(), 14
        for share, lo, hi in P.RETURN_DAYS:
            if u < share:
                days = rng.randint(lo, hi)
                break
            u -= share
        sub.subpoena = ss.subpoena_draft(
            actor=self.officer(sub.lea),
            recipient_lea=self.lea_obj(sub.lea.pk),
            subject=story.subject,
            items=items,
            return_days=days,
            related_detainer=story.detainer,
            at=at,
        )
        self.push(at + timedelta(hours=rng.uniform(1, 48)), "sub_issue", sub)

    def on_sub_issue(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        ss.subpoena_issue(actor=self.supervisor(sub.lea), subpoena=sub.subpoena, at=at)
        self.push(at + timedelta(hours=sub.rng.uniform(1, 72)), "sub_serve", sub)

    def on_sub_serve(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        rng = sub.rng
        s = ss.subpoena_serve(
            actor=self.officer(sub.lea),
            subpoena=sub.subpoena,
            method=rng.choice(("PERSONAL", "MAIL", "EMAIL")),  # Subpoena.service_method is 12 characters
            at=at,
            channel=SIM,
        )
        due = s.return_due_at
        assert due is not None
        self.push(due, "sweep_due")
        window = due - at
        klass, ev = self.recipient_class(sub.lea, at)
        table = P.RESPONSES[klass]
        response = rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]
        if klass == "forbidden" and ev.subpoena_handling == SubpoenaRule.DECLINE_DOCUMENT_REPORT and response:
            response = ResponseType.DECLINATION  # the law says decline, document and report
        sub.response = response
        if rng.random() < 0.8:
            self.push(at + window * rng.uniform(0.02, 0.3), "sub_ack", sub)
        last_step = due
        if response:
            sub.responded_at = at + window * rng.uniform(0.35, 0.95)
            self.push(sub.responded_at, "sub_respond", sub)
        noncompliant = response in (
            "",
            ResponseType.PARTIAL_PRODUCTION,
            ResponseType.OBJECTION_LETTER,
            ResponseType.DECLINATION,
        )
        if noncompliant and rng.random() < P.REFER_P:
            self.push(last_step + timedelta(days=rng.uniform(*P.REFER_AFTER_DAYS)), "sub_refer", sub)

    def on_sub_ack(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        ss.subpoena_acknowledge(actor=self.lea_counsel(sub.lea), subpoena=sub.subpoena, at=at, channel=SIM)

    def on_sub_respond(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        items = list(sub.subpoena.items)
        produced: list[str] = []
        grounds = legal_basis = ""
        if sub.response == ResponseType.FULL_PRODUCTION:
            produced, legal_basis = items, "Produced after legal review; no local law bars disclosure of these items."
        elif sub.response == ResponseType.PARTIAL_PRODUCTION:
            produced = sorted(sub.rng.sample(items, max(1, len(items) // 2)))
            legal_basis = "Items that local policy allows to be shared."
            grounds = "Remaining items are restricted by local policy; they will be produced under a court order."
        elif sub.response == ResponseType.DECLINATION:
            grounds = (
                "State law bars sharing this information in response to a request not backed by a judicial "
                "subpoena or warrant; the request is declined, documented and reported."
            )
        else:
            grounds = (
                "An administrative subpoena is not a court order. Local law allows disclosure of this information "
                "only under a judicial warrant or court order; the agency will comply with an order of a federal court."
            )
        ss.subpoena_respond(
            actor=self.lea_counsel(sub.lea),
            subpoena=sub.subpoena,
            response_type=sub.response,
            produced_items=produced,
            grounds=grounds,
            legal_basis=legal_basis,
            at=at,
            channel=SIM,
        )

    def on_sub_refer(self, at: datetime, sub: SubRun) -> None:
        assert sub.subpoena is not None
        sub.subpoena.refresh_from_db(fields=["state", "served_at"])
        if sub.subpoena.state not in NONCOMPLIANT:
            return
        district = sub.lea.district
        sub.referral = ss.subpoena_refer(
            actor=self.supervisor(sub.lea),
            subpoena=sub.subpoena,
            doj_office=organization_doj(district),
            memo="Recipient has not complied with the administrative subpoena; enforcement under "
            "8 U.S.C. 1225(d)(4)(B) requested.",
            at=at,
        )
        served = sub.subpoena.served_at or at
        mu, sigma = P.lognormal_days(P.PETITION_MEDIAN_DAYS, P.PETITION_SIGMA)
        petition = max(
            served + timedelta(days=sub.rng.lognormvariate(mu, sigma)), at + timedelta(days=sub.rng.uniform(2, 10))
        )
        self.push(petition, "sub_petition", sub)

    def next_case_number(self, court: str, at: datetime) -> str:
        yy = at.year % 100
        key = (court, yy)
        n = self.case_numbers.get(key, 100 + (self.seed % 97) * 100)
        while True:
            n += 1
            number = f"{yy:02d}-mc-{n:05d}"
            if not CourtCase.objects.filter(court=court, case_number=number).exists():
                self.case_numbers[key] = n
                return number

    def on_sub_petition(self, at: datetime, sub: SubRun) -> None:
        assert sub.referral is not None
        district = sub.lea.district
        sub.case = ss.court_petition_file(
            actor=self.doj_attorney(district),
            referral=sub.referral,
            court=district,
            case_number=self.next_case_number(district, at),
            at=at,
        )
        first, last = staff_name(sub.rng)
        sub.judge = f"{first} {last}, United States Magistrate Judge"
        briefing = at + timedelta(days=sub.rng.uniform(*P.BRIEFING_AFTER_DAYS))
        mu, sigma = P.lognormal_days(P.DECISION_MEDIAN_DAYS, P.DECISION_SIGMA)
        decision = max(at + timedelta(days=sub.rng.lognormvariate(mu, sigma)), briefing + timedelta(days=7))
        self.push(briefing, "sub_briefing", sub)
        self.push(decision, "sub_decision", sub)

    def on_sub_briefing(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        ss.court_order_record(
            actor=self.doj_attorney(sub.lea.district),
            case=sub.case,
            order_type=OrderType.BRIEFING_SCHEDULE,
            issued_at=at,
            issued_by=sub.judge,
            terms="Respondent's response due in 21 days; petitioner's reply 14 days after the response.",
        )

    def on_sub_decision(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        rng = sub.rng
        order = rng.choices([k for k, _ in P.DECISIONS], weights=[w for _, w in P.DECISIONS])[0]
        enforce = order == OrderType.ORDER_ENFORCING_SUBPOENA
        ss.court_order_record(
            actor=self.doj_attorney(sub.lea.district),
            case=sub.case,
            order_type=order,
            issued_at=at,
            issued_by=sub.judge,
            comply_within_days=P.COMPLY_WITHIN_DAYS if enforce else None,
            terms=ORDER_TERMS[order],
        )
        if not enforce:
            return
        sub.case.refresh_from_db(fields=["comply_by", "state"])
        comply_by = sub.case.comply_by
        assert comply_by is not None
        self.push(comply_by, "sweep_due")
        mu, sigma = P.lognormal_days(P.COMPLIANCE_MEDIAN_DAYS, P.COMPLIANCE_SIGMA)
        complied = at + timedelta(days=rng.lognormvariate(mu, sigma))
        if complied > comply_by and rng.random() < P.CONTEMPT_MOTION_P:
            motion = comply_by + timedelta(days=rng.uniform(*P.CONTEMPT_AFTER_DAYS))
            self.push(motion, "sub_contempt", sub)
            complied = max(complied, motion + timedelta(days=rng.uniform(3, 20)))
        self.push(complied, "sub_comply", sub)

    def on_sub_contempt(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        sub.case.refresh_from_db(fields=["state"])
        if sub.case.state != "NONCOMPLIANCE":
            return
        ss.court_case_advance(
            actor=self.doj_attorney(sub.lea.district),
            case=sub.case,
            action="move_for_contempt",
            at=at,
            reason="Respondent has not produced the records by the comply-by date set in the order.",
        )

    def on_sub_comply(self, at: datetime, sub: SubRun) -> None:
        assert sub.case is not None
        ss.court_compliance_record(actor=self.lea_counsel(sub.lea), case=sub.case, at=at)

    # ---------------------------------------------------------------------------------------- clocks

    def on_sweep_due(self, at: datetime, _: Any) -> None:
        """A sweep at a clock the engine set (never past the horizon, unlike the periodic ones)."""
        self.on_sweep(at, _)

    def on_sweep(self, at: datetime, _: Any) -> None:
        result = sweep(at)
        for key, value in result.as_dict().items():
            self.stats.sweep[key] += value
