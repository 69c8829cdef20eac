"""Administrative subpoenas and their responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from holdtrack.cases.models.detainers import Detainer

# ---------------------------------------------------------------------------------------------- subpoena


class SubpoenaState(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    ISSUED = "ISSUED", "Issued by an authorized official"
    SERVED = "SERVED", "Served"
    RESPONSE_DUE = "RESPONSE_DUE", "Response due (under legal review)"
    COMPLIED = "COMPLIED", "Complied in full"
    PARTIAL = "PARTIAL", "Complied in part"
    OBJECTED = "OBJECTED", "Objected"
    DECLINED = "DECLINED", "Declined (documented)"
    NO_RESPONSE = "NO_RESPONSE", "No response by the return date"
    REFERRED = "REFERRED", "Referred to DOJ"
    IN_COURT = "IN_COURT", "In court"
    COMPLIED_UNDER_ORDER = "COMPLIED_UNDER_ORDER", "Complied under court order"
    QUASHED = "QUASHED", "Quashed or enforcement denied"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    CLOSED = "CLOSED", "Closed"


SS = SubpoenaState
SUBPOENA_NONCOMPLIANT = (SS.PARTIAL, SS.OBJECTED, SS.DECLINED, SS.NO_RESPONSE)


class ItemCategory(models.TextChoices):
    HOME_ADDRESS = "HOME_ADDRESS", "Home address"
    WORK_ADDRESS = "WORK_ADDRESS", "Work address"
    PHONE = "PHONE", "Telephone numbers"
    DOB = "DOB", "Date of birth"
    POB = "POB", "Place of birth"
    EMERGENCY_CONTACTS = "EMERGENCY_CONTACTS", "Emergency contacts"
    BOND_INFO = "BOND_INFO", "Bond information"
    ID_DOCUMENTS = "ID_DOCUMENTS", "Identity documents on file"
    SUPERVISION_DETAILS = "SUPERVISION_DETAILS", "Supervision details"
    CRIMINAL_RECORD = "CRIMINAL_RECORD", "Criminal record"
    RELEASE_DATE = "RELEASE_DATE", "Release date"


class Subpoena(FSMModelMixin, models.Model):
    issuing_office = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="subpoenas_issued"
    )
    recipient_lea = models.ForeignKey(
        "jurisdictions.LawEnforcementAgency", on_delete=models.PROTECT, related_name="subpoenas"
    )
    subject = models.ForeignKey("custody.Subject", on_delete=models.PROTECT, related_name="subpoenas")
    related_detainer = models.ForeignKey(
        Detainer, null=True, blank=True, on_delete=models.PROTECT, related_name="subpoenas"
    )
    statutory_basis = models.CharField(max_length=80, default="8 U.S.C. 1225(d)(4)")
    form_number = models.CharField(max_length=10, default="I-138")
    # An administrative subpoena is not a court order; the constraint below makes that permanent.
    is_judicial = models.BooleanField(default=False)
    items = models.JSONField(default=list)
    return_days = models.PositiveSmallIntegerField(default=14)
    return_manner = models.CharField(max_length=200, default="Produce records by e-mail or mail to the issuing office")

    state = FSMField(default=SS.DRAFT, choices=SubpoenaState.choices, protected=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issuing_official_title = models.CharField(max_length=120, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    service_method = models.CharField(max_length=12, blank=True)
    return_due_at = models.DateTimeField(null=True, blank=True)
    return_rule = models.CharField(max_length=80, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(is_judicial=False), name="subpoena_never_judicial")]
        indexes = [models.Index(fields=["state", "return_due_at"])]

    def __str__(self) -> str:
        return f"Subpoena {self.pk} ({self.state})"

    @transition(field=state, source=SS.DRAFT, target=SS.ISSUED)
    def issue(self) -> None: ...

    @transition(field=state, source=SS.ISSUED, target=SS.SERVED)
    def serve(self) -> None: ...

    @transition(field=state, source=SS.SERVED, target=SS.RESPONSE_DUE)
    def triage(self) -> None: ...

    # Voluntary compliance is possible until the matter is referred (late compliance included).
    @transition(field=state, source=[SS.SERVED, SS.RESPONSE_DUE, *SUBPOENA_NONCOMPLIANT], target=SS.COMPLIED)
    def comply(self) -> None: ...

    @transition(field=state, source=[SS.SERVED, SS.RESPONSE_DUE], target=SS.PARTIAL)
    def comply_partially(self) -> None: ...

    @transition(field=state, source=[SS.SERVED, SS.RESPONSE_DUE], target=SS.OBJECTED)
    def object(self) -> None: ...

    @transition(field=state, source=[SS.SERVED, SS.RESPONSE_DUE], target=SS.DECLINED)
    def decline(self) -> None: ...

    @transition(field=state, source=[SS.SERVED, SS.RESPONSE_DUE], target=SS.NO_RESPONSE)
    def lapse(self) -> None: ...

    @transition(field=state, source=list(SUBPOENA_NONCOMPLIANT), target=SS.REFERRED)
    def refer(self) -> None: ...

    @transition(field=state, source=SS.REFERRED, target=SS.IN_COURT)
    def go_to_court(self) -> None: ...

    @transition(field=state, source=[SS.IN_COURT, SS.REFERRED], target=SS.COMPLIED_UNDER_ORDER)
    def comply_under_order(self) -> None: ...

    @transition(field=state, source=SS.IN_COURT, target=SS.QUASHED)
    def quash(self) -> None: ...

    @transition(
        field=state,
        source=[*SUBPOENA_NONCOMPLIANT, SS.REFERRED, SS.IN_COURT, SS.ISSUED, SS.SERVED, SS.RESPONSE_DUE],
        target=SS.WITHDRAWN,
    )
    def withdraw(self) -> None: ...

    @transition(
        field=state,
        source=[SS.COMPLIED, SS.COMPLIED_UNDER_ORDER, SS.QUASHED, SS.WITHDRAWN, *SUBPOENA_NONCOMPLIANT],
        target=SS.CLOSED,
    )
    def close(self) -> None: ...


class ResponseType(models.TextChoices):
    FULL_PRODUCTION = "FULL_PRODUCTION", "Full production"
    PARTIAL_PRODUCTION = "PARTIAL_PRODUCTION", "Partial production"
    OBJECTION_LETTER = "OBJECTION_LETTER", "Objection letter"
    DECLINATION = "DECLINATION", "Declination (documented)"
    PRODUCTION_UNDER_COURT_ORDER = "PRODUCTION_UNDER_COURT_ORDER", "Production under court order"


class SubpoenaResponse(models.Model):
    subpoena = models.ForeignKey(Subpoena, on_delete=models.PROTECT, related_name="responses")
    response_type = models.CharField(max_length=30, choices=ResponseType.choices)
    sent_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    legal_basis = models.TextField(blank=True)
    produced_items = models.JSONField(default=list, blank=True)
    grounds = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_response_type_display()} to subpoena {self.subpoena_id}"
