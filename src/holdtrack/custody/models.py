"""People in custody: subjects (synthetic only), their identifiers, bookings with release eligibility and
release, identity matches and citizenship claims."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    UNKNOWN = "U", "Unknown"


class Person(models.Model):
    """One human being known through several subject records (a booked record and the registry record a
    named officer confirmed as the same person). A subject with no person is a person on its own.
    Membership is kept by ``custody.identity``; every safeguard reads the whole person (ADR 0014)."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Person {self.pk}"


class Subject(models.Model):
    """One record of a person. The internal id is the key; an A-number is an identifier, never the key."""

    first_name = models.CharField(max_length=80)
    middle_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=120)
    second_last_name = models.CharField(max_length=120, blank=True, help_text="second surname (apellido materno)")
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_country = models.CharField(max_length=80, blank=True)
    citizenship_country = models.CharField(max_length=80, blank=True)
    preferred_language = models.CharField(max_length=8, default="en")
    synthetic = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="subjects")

    class Meta:
        indexes = [models.Index(fields=["last_name", "date_of_birth"])]

    def __str__(self) -> str:
        return f"Subject {self.pk}"

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name, self.second_last_name) if p)


class IdentifierType(models.TextChoices):
    A_NUMBER = "A_NUMBER", "Alien registration number (A-number)"
    FBI_UCN = "FBI_UCN", "FBI universal control number"
    STATE_SID = "STATE_SID", "State identification number"
    IDENT_FIN = "IDENT_FIN", "IDENT fingerprint identification number"
    PASSPORT_US = "PASSPORT_US", "U.S. passport"
    BIRTH_CERT_US = "BIRTH_CERT_US", "U.S. birth certificate"
    AGENCY_KEY = "AGENCY_KEY", "The registry owner's own subject key"


class SubjectIdentifier(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="identifiers")
    type = models.CharField(max_length=16, choices=IdentifierType.choices)
    value = models.CharField(max_length=40)
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "value"], name="identifier_type_value_unique")]

    def __str__(self) -> str:
        return f"{self.type}"


class ReleaseEligibilityReason(models.TextChoices):
    BOND_POSTED = "BOND_POSTED", "Bond posted"
    PR_ORDERED = "PR_ORDERED", "Personal-recognizance release ordered"
    CHARGES_DISMISSED = "CHARGES_DISMISSED", "Charges dismissed"
    ACQUITTED = "ACQUITTED", "Acquitted"
    SENTENCE_COMPLETE = "SENTENCE_COMPLETE", "Sentence served"
    COURT_RELEASE_ORDER = "COURT_RELEASE_ORDER", "Court release order"


class ReleaseType(models.TextChoices):
    BOND = "BOND", "Bond"
    PR = "PR", "Personal recognizance"
    TIME_SERVED = "TIME_SERVED", "Time served"
    DISMISSED = "DISMISSED", "Charges dismissed"
    TRANSFER_TO_AGENCY = "TRANSFER_TO_AGENCY", "Transfer to another LEA"
    TRANSFER_TO_ICE = "TRANSFER_TO_ICE", "Custody transferred to the federal agency"
    OTHER = "OTHER", "Other"


class ChargeLevel(models.TextChoices):
    FELONY = "FELONY", "Felony"
    MISDEMEANOR = "MISDEMEANOR", "Misdemeanor"
    INFRACTION = "INFRACTION", "Infraction"


class Booking(models.Model):
    """A custody episode in one facility. Release eligibility and release are set only by services."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="bookings")
    facility = models.ForeignKey("jurisdictions.Facility", on_delete=models.PROTECT, related_name="bookings")
    custodian = models.ForeignKey(
        "jurisdictions.LawEnforcementAgency", on_delete=models.PROTECT, related_name="bookings"
    )
    # The custodian's area of responsibility, copied so that an area's newest bookings are one index range
    # (ADR 0044): lists take a page's keys from it. Scope is still decided by the custodian's jurisdiction
    # (custody.access); custody.areas keeps this copy equal to it when an agency or a jurisdiction moves.
    area = models.ForeignKey(
        "jurisdictions.AreaOfResponsibility",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    booking_number = models.CharField(max_length=32)
    booked_at = models.DateTimeField()
    charge_level = models.CharField(max_length=12, choices=ChargeLevel.choices, default=ChargeLevel.MISDEMEANOR)
    charges = models.JSONField(default=list, blank=True)
    serious_conviction = models.BooleanField(
        default=False, help_text="Violent or serious conviction within 5 years (NYC Admin. Code 9-131 test)"
    )
    projected_release_at = models.DateTimeField(null=True, blank=True)
    release_eligible_at = models.DateTimeField(null=True, blank=True)
    release_eligibility_reason = models.CharField(max_length=24, choices=ReleaseEligibilityReason.choices, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_type = models.CharField(max_length=24, choices=ReleaseType.choices, blank=True)
    released_to = models.ForeignKey(
        "jurisdictions.LawEnforcementAgency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Booking data that indicates U.S. citizenship opens a claim (domain.md C2).
    stated_birth_country = models.CharField(max_length=80, blank=True)
    us_passport_on_file = models.BooleanField(default=False)
    citizenship_asserted = models.BooleanField(default=False)
    # Biometric identifier reported by the jail (FBI number / UCN); an exact match is a biometric match.
    fbi_number = models.CharField(max_length=20, blank=True, db_index=True)
    # A-number reported by the jail (9 digits, ``core.text.a_number``): agency-assigned and hand-keyed, so it is
    # compared, never taken as a match on its own (screening's a_number comparison).
    a_number = models.CharField(max_length=9, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["custodian", "booking_number"], name="booking_number_per_agency"),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | models.Q(released_at__gte=models.F("booked_at")),
                name="booking_release_after_booking",
            ),
        ]
        indexes = [
            models.Index(fields=["released_at"]),
            models.Index(fields=["booked_at"]),
            # An area's pages, newest first: a page of 50 reads 51 index entries whatever the area's size.
            models.Index(fields=["area", "-booked_at", "id"], name="booking_area_newest"),
        ]

    def __str__(self) -> str:
        return f"Booking {self.booking_number}"

    @property
    def in_custody(self) -> bool:
        return self.released_at is None


class MatchBasis(models.TextChoices):
    BIOMETRIC = "BIOMETRIC", "Biometric (fingerprints)"
    BIOGRAPHIC = "BIOGRAPHIC", "Biographic (name, date of birth …)"


class MatchStatus(models.TextChoices):
    PROPOSED = "PROPOSED", "Proposed"
    CONFIRMED = "CONFIRMED", "Confirmed by an officer"
    REJECTED = "REJECTED", "Rejected by an officer"


class IdentityMatch(FSMModelMixin, models.Model):
    """A proposed link between a booking and a registry subject. It never causes legal action by itself."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="matches")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="matches")
    basis = models.CharField(max_length=12, choices=MatchBasis.choices)
    score = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    explanation = models.JSONField(default=dict, blank=True)
    proposed_at = models.DateTimeField()
    status = FSMField(default=MatchStatus.PROPOSED, choices=MatchStatus.choices, protected=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    # Both records carry an FBI number and they differ by more than one character: strong evidence of two
    # people. Such a proposal is confirmed only with a supervisor's override and its reason.
    identifier_conflict = models.BooleanField(default=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "identity matches"
        constraints = [models.UniqueConstraint(fields=["booking", "subject"], name="match_booking_subject_unique")]
        indexes = [
            # The review queue: the few proposed matches, not every booking of the area (issue 12: the desk
            # dashboard's match list went from 1.7 to 0.16 ms on the demo database, and grows with proposals,
            # not with bookings).
            models.Index(fields=["booking"], name="match_proposed", condition=models.Q(status="PROPOSED")),
        ]

    def __str__(self) -> str:
        return f"Match {self.pk} ({self.basis}, {self.status})"

    @property
    def state(self) -> str:
        return self.status

    def get_state_display(self) -> str:
        return self.get_status_display()

    @transition(field=status, source=MatchStatus.PROPOSED, target=MatchStatus.CONFIRMED)
    def confirm(self) -> None: ...

    @transition(field=status, source=MatchStatus.PROPOSED, target=MatchStatus.REJECTED)
    def reject(self) -> None: ...

    @transition(field=status, source=MatchStatus.CONFIRMED, target=MatchStatus.REJECTED)
    def revoke(self) -> None: ...


class IdentityLink(models.Model):
    """Provenance of one person link: the confirmed match that made a booked record and a registry record one
    person, who confirmed it, and, once undone, who undid it and why. Never deleted."""

    match = models.OneToOneField(IdentityMatch, on_delete=models.PROTECT, related_name="link")
    booked_subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    registry_subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["booked_subject", "undone_at"]), models.Index(fields=["registry_subject"])]

    def __str__(self) -> str:
        return f"Identity link {self.pk}"

    @property
    def active(self) -> bool:
        return self.undone_at is None


class ClaimStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    VERIFIED_USC = "VERIFIED_USC", "Verified U.S. citizen"
    VERIFIED_NONCITIZEN = "VERIFIED_NONCITIZEN", "Verified noncitizen"


class ClaimBasis(models.TextChoices):
    US_BIRTHPLACE = "US_BIRTHPLACE", "Records show a U.S. birthplace"
    US_PASSPORT = "US_PASSPORT", "U.S. passport or birth certificate on file"
    ASSERTED = "ASSERTED", "Citizenship asserted by the subject, counsel or family"


class CitizenshipClaim(FSMModelMixin, models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="citizenship_claims")
    basis = models.CharField(max_length=16, choices=ClaimBasis.choices)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = FSMField(default=ClaimStatus.OPEN, choices=ClaimStatus.choices, protected=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject", "status"])]

    def __str__(self) -> str:
        return f"Citizenship claim {self.pk} ({self.status})"

    @property
    def state(self) -> str:
        return self.status

    def get_state_display(self) -> str:
        return self.get_status_display()

    @transition(field=status, source=ClaimStatus.OPEN, target=ClaimStatus.VERIFIED_USC)
    def verify_citizen(self) -> None: ...

    @transition(field=status, source=ClaimStatus.OPEN, target=ClaimStatus.VERIFIED_NONCITIZEN)
    def verify_noncitizen(self) -> None: ...


# ------------------------------------------------------------------------------- booking-feed ingestion


class FeedImportStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running (or interrupted)"
    COMPLETE = "COMPLETE", "Complete"
    PARTIAL = "PARTIAL", "Complete except rejected rows"
    # Stopped by an error, an interrupt or SIGTERM (``failure`` says which), or found RUNNING with its process
    # gone (SIGKILL); a re-run of the same file resumes it.
    FAILED = "FAILED", "Failed (re-run to resume)"


class BookingImportRun(models.Model):
    """One bulk import of a booking feed file (``holdtrack import bookings``), written chunk by chunk (ADR 0011)."""

    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.BigIntegerField(default=0)
    format = models.CharField(max_length=8)
    mapping = models.CharField(max_length=40, blank=True)
    custodian = models.ForeignKey(
        "jurisdictions.LawEnforcementAgency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    rows_read = models.IntegerField(default=0)
    rows_imported = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)
    events_created = models.IntegerField(default=0)
    events_skipped = models.IntegerField(default=0)
    # Chunks committed so far: each chunk is its own transaction, so a killed import leaves whole chunks only.
    chunks_committed = models.IntegerField(default=0)
    schema_drift = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=FeedImportStatus.choices)
    actor_label = models.CharField(max_length=120, blank=True)
    # The text encoding read from the bytes (or given with --encoding), e.g. "UTF-16 LE with BOM".
    encoding = models.CharField(max_length=40, blank=True, default="")
    # Why the run is FAILED (the last failure; earlier ones are kept in ``options["failures"]``).
    failure = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Booking import {self.pk} ({self.file_name})"


class FeedEvent(models.TextChoices):
    BOOKING = "BOOKING", "Booking"
    RELEASE_ELIGIBILITY = "RELEASE_ELIGIBILITY", "Release eligibility"
    RELEASE = "RELEASE", "Release"


class BookingImportRow(models.Model):
    """Provenance of one booking event taken from a feed: which file (SHA-256), which row, which run.

    The idempotency key is agency + booking number + event. The LEA-side immigration-hold flag and the hold
    outcome derived from the release disposition are kept here: the detainer services record holds issued by
    the federal agency (with their I-200/I-205 and policy guards), which a de-identified jail feed cannot
    supply, so a feed's hold flag is never turned into a ``Detainer``.
    """

    run = models.ForeignKey(BookingImportRun, on_delete=models.PROTECT, related_name="rows")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="feed_rows")
    custodian_ori = models.CharField(max_length=9)
    booking_number = models.CharField(max_length=64)
    event = models.CharField(max_length=20, choices=FeedEvent.choices)
    file_sha256 = models.CharField(max_length=64)
    row_number = models.IntegerField()
    immigration_hold = models.BooleanField(null=True, blank=True)
    hold_outcome = models.CharField(max_length=24, blank=True)
    charge_type = models.CharField(max_length=24, blank=True)
    source_disposition = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["custodian_ori", "booking_number", "event"], name="feed_row_agency_booking_event"
            )
        ]
        indexes = [models.Index(fields=["event", "immigration_hold"])]

    def __str__(self) -> str:
        return f"{self.custodian_ori}/{self.booking_number}/{self.event}"
