"""Enforcement referrals, court cases and court orders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from holdtrack.cases.models.subpoenas import Subpoena

# ---------------------------------------------------------------------------------------------- court


class ReferralState(models.TextChoices):
    OPEN = "OPEN", "Open"
    DECLINED_BY_USAO = "DECLINED_BY_USAO", "Declined by the U.S. Attorney's Office"
    PETITION_FILED = "PETITION_FILED", "Petition filed"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"


class EnforcementReferral(FSMModelMixin, models.Model):
    subpoena = models.OneToOneField(Subpoena, on_delete=models.PROTECT, related_name="referral")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField()
    usao_district = models.CharField(max_length=40)
    doj_office = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="referrals")
    state = FSMField(default=ReferralState.OPEN, choices=ReferralState.choices, protected=True)
    memo = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.state})"

    @transition(field=state, source=ReferralState.OPEN, target=ReferralState.DECLINED_BY_USAO)
    def decline(self) -> None: ...

    @transition(field=state, source=ReferralState.OPEN, target=ReferralState.PETITION_FILED)
    def file_petition(self) -> None: ...

    @transition(field=state, source=ReferralState.OPEN, target=ReferralState.WITHDRAWN)
    def withdraw(self) -> None: ...


class CourtState(models.TextChoices):
    PETITION_FILED = "PETITION_FILED", "Petition filed"
    OSC_ISSUED = "OSC_ISSUED", "Court order to show cause issued"
    BRIEFING = "BRIEFING", "Briefing"
    HEARING = "HEARING", "Hearing set"
    UNDER_ADVISEMENT = "UNDER_ADVISEMENT", "Under advisement"
    ENFORCED = "ENFORCED", "Enforcement ordered"
    DENIED = "DENIED", "Enforcement denied"
    DISMISSED = "DISMISSED", "Dismissed"
    OBJECTION_OR_APPEAL = "OBJECTION_OR_APPEAL", "Objection or appeal"
    COMPLIED = "COMPLIED", "Complied"
    NONCOMPLIANCE = "NONCOMPLIANCE", "Comply-by date passed"
    CONTEMPT_MOTION = "CONTEMPT_MOTION", "Contempt motion pending"
    CONTEMPT_FOUND = "CONTEMPT_FOUND", "Civil contempt found"
    PURGED = "PURGED", "Contempt purged"
    CLOSED = "CLOSED", "Closed"


CS = CourtState


class CourtCase(FSMModelMixin, models.Model):
    referral = models.OneToOneField(EnforcementReferral, on_delete=models.PROTECT, related_name="court_case")
    court = models.CharField(max_length=80, help_text="e.g. D. Colo.")
    case_number = models.CharField(max_length=40)
    case_type = models.CharField(max_length=40, default="SUBPOENA_ENFORCEMENT_MISC")
    filed_at = models.DateTimeField()
    state = FSMField(default=CS.PETITION_FILED, choices=CourtState.choices, protected=True)
    comply_by = models.DateTimeField(null=True, blank=True)
    comply_rule = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["court", "case_number"], name="court_case_number_unique")]

    def __str__(self) -> str:
        return f"{self.court} {self.case_number}"

    @transition(field=state, source=CS.PETITION_FILED, target=CS.OSC_ISSUED)
    def issue_osc(self) -> None: ...

    @transition(field=state, source=[CS.PETITION_FILED, CS.OSC_ISSUED], target=CS.BRIEFING)
    def set_briefing(self) -> None: ...

    @transition(field=state, source=CS.BRIEFING, target=CS.HEARING)
    def set_hearing(self) -> None: ...

    @transition(field=state, source=[CS.BRIEFING, CS.HEARING], target=CS.UNDER_ADVISEMENT)
    def take_under_advisement(self) -> None: ...

    @transition(field=state, source=[CS.UNDER_ADVISEMENT, CS.OBJECTION_OR_APPEAL], target=CS.ENFORCED)
    def enforce(self) -> None: ...

    @transition(field=state, source=[CS.UNDER_ADVISEMENT, CS.OBJECTION_OR_APPEAL], target=CS.DENIED)
    def deny(self) -> None: ...

    @transition(field=state, source=[CS.PETITION_FILED, CS.OSC_ISSUED, CS.BRIEFING], target=CS.DISMISSED)
    def dismiss(self) -> None: ...

    @transition(field=state, source=CS.ENFORCED, target=CS.OBJECTION_OR_APPEAL)
    def appeal(self) -> None: ...

    @transition(field=state, source=[CS.ENFORCED, CS.NONCOMPLIANCE, CS.CONTEMPT_MOTION], target=CS.COMPLIED)
    def record_compliance(self) -> None: ...

    @transition(field=state, source=CS.ENFORCED, target=CS.NONCOMPLIANCE)
    def record_noncompliance(self) -> None: ...

    @transition(field=state, source=CS.NONCOMPLIANCE, target=CS.CONTEMPT_MOTION)
    def move_for_contempt(self) -> None: ...

    @transition(field=state, source=CS.CONTEMPT_MOTION, target=CS.CONTEMPT_FOUND)
    def find_contempt(self) -> None: ...

    @transition(field=state, source=CS.CONTEMPT_FOUND, target=CS.PURGED)
    def purge(self) -> None: ...

    @transition(field=state, source=[CS.COMPLIED, CS.PURGED, CS.DENIED, CS.DISMISSED], target=CS.CLOSED)
    def close(self) -> None: ...


class OrderType(models.TextChoices):
    COURT_ORDER_TO_SHOW_CAUSE = "COURT_ORDER_TO_SHOW_CAUSE", "Order to show cause (federal court)"
    BRIEFING_SCHEDULE = "BRIEFING_SCHEDULE", "Briefing schedule"
    HEARING_NOTICE = "HEARING_NOTICE", "Hearing notice"
    ORDER_ENFORCING_SUBPOENA = "ORDER_ENFORCING_SUBPOENA", "Order enforcing the subpoena"
    ORDER_DENYING_ENFORCEMENT = "ORDER_DENYING_ENFORCEMENT", "Order denying enforcement"
    DISMISSAL = "DISMISSAL", "Dismissal"
    CONTEMPT_FINDING = "CONTEMPT_FINDING", "Civil contempt finding"
    PURGE_SATISFIED = "PURGE_SATISFIED", "Contempt purged"


class CourtOrder(models.Model):
    case = models.ForeignKey(CourtCase, on_delete=models.PROTECT, related_name="orders")
    order_type = models.CharField(max_length=32, choices=OrderType.choices)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=120, blank=True, help_text="Judge or magistrate judge")
    comply_within_days = models.PositiveSmallIntegerField(null=True, blank=True)
    terms = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["issued_at"]

    def __str__(self) -> str:
        return f"{self.get_order_type_display()} ({self.issued_at:%Y-%m-%d})"
