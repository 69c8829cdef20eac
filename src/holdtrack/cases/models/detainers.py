"""Detainers with their warrants, notifications, work items and outcome vocabulary."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

# ---------------------------------------------------------------------------------------------- detainer


class FormType(models.TextChoices):
    I247 = "I247", "I-247 Immigration Detainer – Notice of Action (legacy)"
    I247D = "I247D", "I-247D Immigration Detainer – Request for Voluntary Action"
    I247N = "I247N", "I-247N Request for Voluntary Notification of Release"
    I247X = "I247X", "I-247X Request for Voluntary Transfer"
    I247A = "I247A", "I-247A Immigration Detainer – Notice of Action"
    I247G = "I247G", "I-247G Request for Advance Notification of Release"


class RequestType(models.TextChoices):
    HOLD = "HOLD", "Hold request (continued custody up to the ceiling)"
    NOTIFY = "NOTIFY", "Notification request only"
    TRANSFER = "TRANSFER", "Transfer request"


# Forms that on their face ask only for notification (domain.md A1.6).
NOTIFY_ONLY_FORMS = frozenset({FormType.I247N, FormType.I247G})


class Box(models.TextChoices):
    PC_REMOVABLE = "PC_REMOVABLE", "Box 1: probable cause of removability"
    DHS_TRANSFERRED = "DHS_TRANSFERRED", "Box 2: transferred by DHS for a proceeding"


class PCBasis(models.TextChoices):
    FINAL_ORDER = "FINAL_ORDER", "Final order of removal"
    PENDING_PROCEEDINGS = "PENDING_PROCEEDINGS", "Pending removal proceedings"
    BIOMETRIC_AND_DATABASE = "BIOMETRIC_AND_DATABASE", "Biometric confirmation plus database records"
    STATEMENTS_OR_OTHER = "STATEMENTS_OR_OTHER", "Statements to an immigration officer or other reliable evidence"


class ChargingDocument(models.TextChoices):
    """The immigration charging document. Its legacy form is called 'Order to Show Cause'; it is not a
    federal court's order to show cause (``CourtOrder.OrderType.COURT_ORDER_TO_SHOW_CAUSE``)."""

    NONE = "NONE", "None recorded"
    NOTICE_TO_APPEAR = "NOTICE_TO_APPEAR", "Notice to Appear (I-862)"
    IMMIGRATION_OSC = "IMMIGRATION_OSC", "Order to Show Cause (legacy immigration charging document)"


class DetainerState(models.TextChoices):
    # agency side
    PREPARED = "PREPARED", "Prepared"
    APPROVED = "APPROVED", "Supervisor approved"
    TRANSMITTED = "TRANSMITTED", "Transmitted"
    # LEA side
    RECEIVED = "RECEIVED", "Received by LEA"
    VALIDATION_FAILED = "VALIDATION_FAILED", "Validation failed"
    UNDER_POLICY_REVIEW = "UNDER_POLICY_REVIEW", "Under policy review"
    ACTIVE_NOTIFY_ONLY = "ACTIVE_NOTIFY_ONLY", "Active: notification only"
    ACTIVE_HOLD_ELIGIBLE = "ACTIVE_HOLD_ELIGIBLE", "Active: hold eligible"
    DECLINED = "DECLINED", "Declined by LEA"
    CITIZENSHIP_REVIEW = "CITIZENSHIP_REVIEW", "Citizenship claim under review"
    HOLD_IN_EFFECT = "HOLD_IN_EFFECT", "Hold in effect"
    CUSTODY_TRANSFERRED = "CUSTODY_TRANSFERRED", "Custody transferred"
    RELEASED_WINDOW_EXPIRED = "RELEASED_WINDOW_EXPIRED", "Released: hold ceiling reached"
    RELEASED_BEFORE_PICKUP = "RELEASED_BEFORE_PICKUP", "Released before pickup"
    RELEASED_NOTICE_GIVEN = "RELEASED_NOTICE_GIVEN", "Released after notice"
    TRANSFERRED_TO_AGENCY = "TRANSFERRED_TO_AGENCY", "Transferred to another LEA"
    LIFTED = "LIFTED", "Lifted or cancelled"
    CLOSED = "CLOSED", "Closed"


S = DetainerState
ACTIVE_STATES = (S.ACTIVE_NOTIFY_ONLY, S.ACTIVE_HOLD_ELIGIBLE)
OPEN_LEA_STATES = (
    S.RECEIVED,
    S.VALIDATION_FAILED,
    S.UNDER_POLICY_REVIEW,
    *ACTIVE_STATES,
    S.CITIZENSHIP_REVIEW,
    S.HOLD_IN_EFFECT,
)
TERMINAL_STATES = (
    S.DECLINED,
    S.CUSTODY_TRANSFERRED,
    S.RELEASED_WINDOW_EXPIRED,
    S.RELEASED_BEFORE_PICKUP,
    S.RELEASED_NOTICE_GIVEN,
    S.TRANSFERRED_TO_AGENCY,
    S.LIFTED,
)


class LeaDecision(models.TextChoices):
    HONOR_HOLD = "HONOR_HOLD", "Honor the hold request"
    NOTIFY_ONLY = "NOTIFY_ONLY", "Notify only"
    DECLINE = "DECLINE", "Decline"


class OutcomeGroup(models.TextChoices):
    CUSTODY_TRANSFERRED = "CUSTODY_TRANSFERRED", "Custody transferred to the agency"
    DECLINED_BY_LEA = "DECLINED_BY_LEA", "Declined by the LEA"
    RELEASED_BEFORE_PICKUP = "RELEASED_BEFORE_PICKUP", "Released before pickup"
    HOLD_EXPIRED_RELEASED = "HOLD_EXPIRED_RELEASED", "Released at the hold ceiling"
    LIFTED_BY_ICE = "LIFTED_BY_ICE", "Lifted by the agency"
    SUPERSEDED = "SUPERSEDED", "Superseded"
    DUPLICATE = "DUPLICATE", "Duplicate"
    TRANSFERRED_WITH_CUSTODY = "TRANSFERRED_WITH_CUSTODY", "Transferred with custody to another LEA"
    LIFTED_UNSPECIFIED = "LIFTED_UNSPECIFIED", "Lifted (unspecified)"
    OPEN_OR_UNKNOWN = "OPEN_OR_UNKNOWN", "Open or unknown"


class LiftReason(models.TextChoices):
    """ICE ``Detainer Lift Reason`` values, verbatim (domain.md A1.8)."""

    BOOKED_INTO_DETENTION = "Booked into Detention"
    DECLINED_BY_LEA = "Detainer Declined by LEA"
    EARLY_RELEASE = "Early Release"
    INSUFFICIENT_NOTICE = "Insufficient Notice to ICE"
    RESOURCE_CONSTRAINT = "ICE Temporary Resource Constraint"
    NO_LONGER_IN_CUSTODY = "No longer in State, Local, or Federal Custody"
    CASE_CLOSED = "Case Closed"
    PROSECUTORIAL_DISCRETION = "Prosecutorial Discretion"
    NOT_AMENABLE = "Not Amenable to Removal"
    USC_CLAIM = "USC or Presumptive Claim to US Citizenship"
    JUDICIAL_REVIEW = "Judicial Review"
    SUPERSEDING = "Superseding - New Form Issued"
    DUPLICATE = "Duplicate"
    LIFTED = "Lifted"


LIFT_REASON_GROUP: dict[str, str] = {
    LiftReason.BOOKED_INTO_DETENTION: OutcomeGroup.CUSTODY_TRANSFERRED,
    LiftReason.DECLINED_BY_LEA: OutcomeGroup.DECLINED_BY_LEA,
    LiftReason.EARLY_RELEASE: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    LiftReason.INSUFFICIENT_NOTICE: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    LiftReason.RESOURCE_CONSTRAINT: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    LiftReason.NO_LONGER_IN_CUSTODY: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    LiftReason.CASE_CLOSED: OutcomeGroup.LIFTED_BY_ICE,
    LiftReason.PROSECUTORIAL_DISCRETION: OutcomeGroup.LIFTED_BY_ICE,
    LiftReason.NOT_AMENABLE: OutcomeGroup.LIFTED_BY_ICE,
    LiftReason.USC_CLAIM: OutcomeGroup.LIFTED_BY_ICE,
    LiftReason.JUDICIAL_REVIEW: OutcomeGroup.LIFTED_BY_ICE,
    LiftReason.SUPERSEDING: OutcomeGroup.SUPERSEDED,
    LiftReason.DUPLICATE: OutcomeGroup.DUPLICATE,
    LiftReason.LIFTED: OutcomeGroup.LIFTED_UNSPECIFIED,
}
# Reasons an agency may give when it lifts a detainer itself (the others describe what the LEA did).
AGENCY_LIFT_REASONS = (
    LiftReason.CASE_CLOSED,
    LiftReason.PROSECUTORIAL_DISCRETION,
    LiftReason.NOT_AMENABLE,
    LiftReason.USC_CLAIM,
    LiftReason.JUDICIAL_REVIEW,
    LiftReason.SUPERSEDING,
    LiftReason.DUPLICATE,
)


class ReviewResult(models.TextChoices):
    PC_FOUND = "PC_FOUND", "Probable cause found"
    PC_NOT_FOUND = "PC_NOT_FOUND", "Probable cause not found"


class ServiceMethod(models.TextChoices):
    IN_PERSON = "IN_PERSON", "In person"
    INMATE_MAIL = "INMATE_MAIL", "Inmate mail"
    OTHER = "OTHER", "Other"


class Detainer(FSMModelMixin, models.Model):
    subject = models.ForeignKey("custody.Subject", on_delete=models.PROTECT, related_name="detainers")
    booking = models.ForeignKey("custody.Booking", on_delete=models.PROTECT, related_name="detainers")
    identity_match = models.ForeignKey(
        "custody.IdentityMatch", null=True, blank=True, on_delete=models.PROTECT, related_name="detainers"
    )
    issuing_office = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="detainers_issued"
    )
    addressed_lea = models.ForeignKey(
        "jurisdictions.LawEnforcementAgency", on_delete=models.PROTECT, related_name="detainers_received"
    )
    facility = models.ForeignKey("jurisdictions.Facility", on_delete=models.PROTECT, related_name="detainers")

    form_type = models.CharField(max_length=6, choices=FormType.choices, default=FormType.I247A)
    form_revision = models.CharField(max_length=10, default="02/17")
    request_type = models.CharField(max_length=8, choices=RequestType.choices)
    box = models.CharField(max_length=16, choices=Box.choices, default=Box.PC_REMOVABLE)
    pc_bases = models.JSONField(default=list, blank=True)
    charging_document = models.CharField(max_length=20, choices=ChargingDocument.choices, default=ChargingDocument.NONE)
    operative_upon_conviction = models.BooleanField(default=False)

    state = FSMField(default=S.PREPARED, choices=DetainerState.choices, protected=True)

    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    transmitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    # Neutral probable-cause review (Gonzalez settlement offices).
    neutral_review_required = models.BooleanField(default=False)
    neutral_review_result = models.CharField(max_length=16, choices=ReviewResult.choices, blank=True)
    neutral_review_at = models.DateTimeField(null=True, blank=True)

    served_at = models.DateTimeField(null=True, blank=True)
    service_method = models.CharField(max_length=12, choices=ServiceMethod.choices, blank=True)
    service_language = models.CharField(max_length=8, blank=True)

    lea_decision = models.CharField(max_length=12, choices=LeaDecision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Snapshots of local-law evaluations: at preparation and at the LEA decision.
    policy_at_prepare = models.JSONField(default=dict, blank=True)
    policy_at_decision = models.JSONField(default=dict, blank=True)

    # Hold window: derived by the services from release eligibility and the versioned rule.
    hold_started_at = models.DateTimeField(null=True, blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    hold_rule = models.CharField(max_length=80, blank=True)
    hold_ended_at = models.DateTimeField(null=True, blank=True)

    lift_reason = models.CharField(max_length=60, choices=LiftReason.choices, blank=True)
    outcome_group = models.CharField(max_length=28, choices=OutcomeGroup.choices, default=OutcomeGroup.OPEN_OR_UNKNOWN)
    outcome_at = models.DateTimeField(null=True, blank=True)
    over_detention_flags = models.JSONField(default=list, blank=True)
    hold_minutes_used = models.PositiveIntegerField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        indexes = [
            models.Index(fields=["state"]),
            models.Index(fields=["state", "hold_expires_at"]),
            models.Index(fields=["addressed_lea", "state"]),
            models.Index(fields=["prepared_at"]),
            # A list's page walks one office's or one LEA's detainers newest first: one index range, however many
            # the office has (cases.access.detainer_keys_scope; ADR 0049).
            models.Index(fields=["issuing_office", "-prepared_at", "id"], name="detainer_office_newest"),
            models.Index(fields=["addressed_lea", "-prepared_at", "id"], name="detainer_lea_newest"),
        ]

    def __str__(self) -> str:
        return f"Detainer {self.pk} ({self.form_type}, {self.state})"

    @property
    def is_hold_request(self) -> bool:
        return self.request_type == RequestType.HOLD

    # The fsm transitions below declare the graph only; guards and side effects live in services.
    @transition(field=state, source=S.PREPARED, target=S.APPROVED)
    def approve(self) -> None: ...

    @transition(field=state, source=S.APPROVED, target=S.TRANSMITTED)
    def transmit(self) -> None: ...

    @transition(field=state, source=S.TRANSMITTED, target=S.RECEIVED)
    def receive(self) -> None: ...

    @transition(field=state, source=[S.RECEIVED, S.VALIDATION_FAILED], target=S.UNDER_POLICY_REVIEW)
    def pass_validation(self) -> None: ...

    @transition(field=state, source=S.RECEIVED, target=S.VALIDATION_FAILED)
    def fail_validation(self) -> None: ...

    @transition(field=state, source=S.UNDER_POLICY_REVIEW, target=S.ACTIVE_HOLD_ELIGIBLE)
    def decide_hold(self) -> None: ...

    @transition(field=state, source=S.UNDER_POLICY_REVIEW, target=S.ACTIVE_NOTIFY_ONLY)
    def decide_notify(self) -> None: ...

    @transition(field=state, source=S.UNDER_POLICY_REVIEW, target=S.DECLINED)
    def decline(self) -> None: ...

    @transition(field=state, source=[*ACTIVE_STATES, S.HOLD_IN_EFFECT], target=S.CITIZENSHIP_REVIEW)
    def freeze_for_citizenship(self) -> None: ...

    @transition(field=state, source=S.CITIZENSHIP_REVIEW, target=S.ACTIVE_HOLD_ELIGIBLE)
    def resume_hold_eligible(self) -> None: ...

    @transition(field=state, source=S.CITIZENSHIP_REVIEW, target=S.ACTIVE_NOTIFY_ONLY)
    def resume_notify_only(self) -> None: ...

    @transition(field=state, source=S.ACTIVE_HOLD_ELIGIBLE, target=S.HOLD_IN_EFFECT)
    def start_hold(self) -> None: ...

    @transition(field=state, source=[S.HOLD_IN_EFFECT, *ACTIVE_STATES], target=S.CUSTODY_TRANSFERRED)
    def transfer_custody(self) -> None: ...

    @transition(field=state, source=S.HOLD_IN_EFFECT, target=S.RELEASED_WINDOW_EXPIRED)
    def expire_hold(self) -> None: ...

    @transition(
        field=state,
        source=[
            S.ACTIVE_HOLD_ELIGIBLE,
            S.ACTIVE_NOTIFY_ONLY,
            S.CITIZENSHIP_REVIEW,
            S.RECEIVED,
            S.VALIDATION_FAILED,
            S.UNDER_POLICY_REVIEW,
            S.HOLD_IN_EFFECT,
        ],
        target=S.RELEASED_BEFORE_PICKUP,
    )
    def release_before_pickup(self) -> None: ...

    @transition(field=state, source=S.ACTIVE_NOTIFY_ONLY, target=S.RELEASED_NOTICE_GIVEN)
    def release_with_notice(self) -> None: ...

    @transition(
        field=state,
        source=[*ACTIVE_STATES, S.CITIZENSHIP_REVIEW, S.RECEIVED, S.UNDER_POLICY_REVIEW, S.VALIDATION_FAILED],
        target=S.TRANSFERRED_TO_AGENCY,
    )
    def transfer_to_agency(self) -> None: ...

    @transition(field=state, source=[S.PREPARED, S.APPROVED, S.TRANSMITTED, *OPEN_LEA_STATES], target=S.LIFTED)
    def lift(self) -> None: ...

    @transition(field=state, source=list(TERMINAL_STATES), target=S.CLOSED)
    def close(self) -> None: ...


class WarrantType(models.TextChoices):
    I200 = "I200", "I-200 Warrant for Arrest of Alien (administrative)"
    I205 = "I205", "I-205 Warrant of Removal/Deportation (administrative)"
    I203 = "I203", "I-203 Order to Detain or Release (administrative)"
    JUDICIAL_ARREST = "JUDICIAL_ARREST", "Arrest warrant signed by a federal or state judge"
    JUDICIAL_WRIT = "JUDICIAL_WRIT", "Writ issued by a federal or state court"


ADMINISTRATIVE_WARRANTS = frozenset({WarrantType.I200, WarrantType.I205, WarrantType.I203})
HOLD_SUPPORTING_WARRANTS = frozenset({WarrantType.I200, WarrantType.I205})  # Policy 10074.2
JUDICIAL_WARRANTS = frozenset({WarrantType.JUDICIAL_ARREST, WarrantType.JUDICIAL_WRIT})


class Warrant(models.Model):
    detainer = models.ForeignKey(Detainer, on_delete=models.PROTECT, related_name="warrants")
    warrant_type = models.CharField(max_length=16, choices=WarrantType.choices)
    # Derived from the type by the service and pinned by a database constraint: an administrative
    # warrant (signed by an immigration officer, or by an immigration judge) is never judicial.
    is_judicial = models.BooleanField(default=False)
    number = models.CharField(max_length=40, blank=True)
    signed_by_name = models.CharField(max_length=120)
    signed_by_title = models.CharField(max_length=120)
    court = models.CharField(max_length=120, blank=True)
    signed_at = models.DateTimeField()
    attached_at = models.DateTimeField()
    # The receiving LEA's counsel confirms a judicial warrant before any policy reads it as judicial.
    judicial_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    judicial_confirmed_at = models.DateTimeField(null=True, blank=True)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(warrant_type__in=sorted(JUDICIAL_WARRANTS), is_judicial=True)
                    | (~models.Q(warrant_type__in=sorted(JUDICIAL_WARRANTS)) & models.Q(is_judicial=False))
                ),
                name="warrant_judicial_only_if_judicial_type",
            ),
            models.CheckConstraint(
                condition=models.Q(is_judicial=False) | ~models.Q(court=""), name="judicial_warrant_names_court"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_warrant_type_display()}"


class NotificationKind(models.TextChoices):
    ADVANCE_RELEASE = "ADVANCE_RELEASE", "Advance notice of release"
    RELEASE_NOW = "RELEASE_NOW", "Notice at release"
    TRANSFER = "TRANSFER", "Notice of transfer"


class Notification(models.Model):
    detainer = models.ForeignKey(Detainer, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expected_release_at = models.DateTimeField(null=True, blank=True)
    lead_time_hours = models.FloatField(null=True, blank=True)
    policy_basis = models.CharField(max_length=120, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} for detainer {self.detainer_id}"


class WorkItemKind(models.TextChoices):
    RELEASE_REQUIRED = "RELEASE_REQUIRED", "Release required: hold ceiling reached"
    RELEASE_REQUIRED_CLAIM = "RELEASE_REQUIRED_CLAIM", "Release required: citizenship claim open"
    NEUTRAL_REVIEW_OVERDUE = "NEUTRAL_REVIEW_OVERDUE", "Neutral review overdue"
    OVER_DETENTION = "OVER_DETENTION", "Over-detention to acknowledge"
    SUBPOENA_RETURN_DUE = "SUBPOENA_RETURN_DUE", "Subpoena return date approaching"
    COMPLY_BY_PASSED = "COMPLY_BY_PASSED", "Court comply-by date passed"


class WorkItem(models.Model):
    """Something a person must do because a clock ran out. Raised by services and the sweep."""

    kind = models.CharField(max_length=24, choices=WorkItemKind.choices)
    detainer = models.ForeignKey(Detainer, null=True, blank=True, on_delete=models.CASCADE, related_name="work_items")
    subpoena = models.ForeignKey("Subpoena", null=True, blank=True, on_delete=models.CASCADE, related_name="work_items")
    court_case = models.ForeignKey(
        "CourtCase", null=True, blank=True, on_delete=models.CASCADE, related_name="work_items"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField()
    detail = models.CharField(max_length=300)
    dedupe_key = models.CharField(max_length=80, unique=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (due {self.due_at:%Y-%m-%d %H:%M})"
