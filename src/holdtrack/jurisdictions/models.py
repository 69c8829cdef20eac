"""Places and parties: jurisdictions (state → county → city), ICE areas of responsibility, law enforcement
agencies keyed by ORI, facilities, 287(g) agreements, and local law as versioned policy data."""

from __future__ import annotations

from django.db import models


class AreaOfResponsibility(models.Model):
    name = models.CharField(max_length=80, unique=True, help_text="Field office city, e.g. Seattle")

    class Meta:
        ordering = ["name"]
        verbose_name = "area of responsibility"
        verbose_name_plural = "areas of responsibility"

    def __str__(self) -> str:
        return f"{self.name} Area of Responsibility"


class Level(models.TextChoices):
    STATE = "STATE", "State or territory"
    COUNTY = "COUNTY", "County or equivalent"
    MUNICIPALITY = "MUNICIPALITY", "Municipality"
    CONSOLIDATED = "CONSOLIDATED", "Consolidated city-county"


class Jurisdiction(models.Model):
    level = models.CharField(max_length=16, choices=Level.choices)
    name = models.CharField(max_length=120)
    state_abbr = models.CharField(max_length=2)
    # STATE: 2-digit FIPS; COUNTY: 5-digit FIPS; city: state FIPS + "-" + slug (no Census place code shipped).
    fips = models.CharField(max_length=32, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    aor = models.ForeignKey(
        AreaOfResponsibility, null=True, blank=True, on_delete=models.PROTECT, related_name="counties"
    )
    timezone = models.CharField(max_length=40, default="America/New_York")
    judicial_district = models.CharField(max_length=40, blank=True)
    # A city that spans several counties (New York City) lists them here.
    member_counties = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="cities")

    class Meta:
        ordering = ["fips"]
        indexes = [models.Index(fields=["state_abbr", "level"])]

    def __str__(self) -> str:
        return self.name if self.level == Level.STATE else f"{self.name}, {self.state_abbr}"

    def ancestors(self) -> list[Jurisdiction]:
        """This jurisdiction and every enclosing one, outermost first (state → county → city)."""
        chain: list[Jurisdiction] = []
        node: Jurisdiction | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class AgencyType(models.TextChoices):
    SHERIFF = "SHERIFF", "Sheriff's office"
    LOCAL_POLICE = "LOCAL_POLICE", "Local police"
    STATE_POLICE = "STATE_POLICE", "State police"
    STATE_DOC = "STATE_DOC", "State department of corrections"
    CITY_DOC = "CITY_DOC", "City department of correction"
    OTHER = "OTHER", "Other"


class LawEnforcementAgency(models.Model):
    # The FBI Originating Agency Identifier is the key; names are never used to match (domain.md A4.1).
    ori = models.CharField(max_length=9, unique=True)
    ori_synthetic = models.BooleanField(default=True, help_text="Generated for simulation, not a published ORI")
    name = models.CharField(max_length=200)
    agency_type = models.CharField(max_length=16, choices=AgencyType.choices)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="agencies")

    class Meta:
        ordering = ["ori"]
        verbose_name = "law enforcement agency"
        verbose_name_plural = "law enforcement agencies"

    def __str__(self) -> str:
        return f"{self.name} ({self.ori})"


class FacilityType(models.TextChoices):
    COUNTY_JAIL = "COUNTY_JAIL", "County jail"
    CITY_LOCKUP = "CITY_LOCKUP", "City lockup"
    STATE_PRISON = "STATE_PRISON", "State prison"
    ICE_PROCESSING = "ICE_PROCESSING", "Agency processing center"


class Facility(models.Model):
    code = models.CharField(max_length=12, unique=True, help_text="Facility code in the 7-character ICE style")
    name = models.CharField(max_length=200)
    facility_type = models.CharField(max_length=16, choices=FacilityType.choices, default=FacilityType.COUNTY_JAIL)
    operator = models.ForeignKey(LawEnforcementAgency, on_delete=models.PROTECT, related_name="facilities")
    timezone = models.CharField(max_length=40)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AgreementModel(models.TextChoices):
    JEM = "JEM", "Jail Enforcement Model"
    WSO = "WSO", "Warrant Service Officer"
    TFM = "TFM", "Task Force Model"


class Agreement287g(models.Model):
    """One row of ICE's published 287(g) sheet, kept as published (agency names are not keys)."""

    state_abbr = models.CharField(max_length=2)
    agency_name = models.CharField(max_length=200)
    agency_kind = models.CharField(max_length=40, help_text="ICE's TYPE column")
    county = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements")
    lea = models.ForeignKey(
        LawEnforcementAgency, null=True, blank=True, on_delete=models.SET_NULL, related_name="agreements"
    )
    model = models.CharField(max_length=4, choices=AgreementModel.choices)
    status = models.CharField(max_length=12, default="ACTIVE")  # ACTIVE | PENDING
    signed_on = models.DateField(null=True, blank=True)
    moa_url = models.URLField(max_length=500, blank=True)
    source_sheet = models.CharField(max_length=80)
    source_row = models.PositiveIntegerField()

    class Meta:
        ordering = ["state_abbr", "agency_name"]
        verbose_name = "287(g) agreement"
        constraints = [
            models.UniqueConstraint(fields=["source_sheet", "source_row"], name="agreement_source_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agency_name} ({self.state_abbr}) – 287(g) {self.get_model_display()}"


class HoldRule(models.TextChoices):
    HONOR = "HONOR", "Holds honored"
    JUDICIAL_WARRANT = "JUDICIAL_WARRANT", "Hold only with a judicial warrant"
    JUDICIAL_WARRANT_AND_SERIOUS = "JUDICIAL_WARRANT_AND_SERIOUS", "Judicial warrant and a listed conviction"
    LISTED_OFFENSES = "LISTED_OFFENSES", "Hold not allowed; notification/transfer in listed cases"
    NEVER = "NEVER", "No holds on detainers"


class NotifyRule(models.TextChoices):
    ALLOWED = "ALLOWED", "Release notification allowed"
    CONDITIONAL = "CONDITIONAL", "Notification only in listed cases"
    PROHIBITED = "PROHIBITED", "Notification prohibited"


class SubpoenaRule(models.TextChoices):
    HONOR = "HONOR", "Honor administrative subpoenas"
    LEGAL_REVIEW = "LEGAL_REVIEW", "Legal review before answering"
    JUDICIAL_ONLY = "JUDICIAL_ONLY", "Answer only court-ordered or judicial subpoenas"
    DECLINE_DOCUMENT_REPORT = "DECLINE_DOCUMENT_REPORT", "Decline, document and report"


class Instrument(models.TextChoices):
    STATUTE = "STATUTE"
    ORDINANCE = "ORDINANCE"
    AGENCY_POLICY = "AGENCY_POLICY"
    COURT_ORDER = "COURT_ORDER"
    SETTLEMENT = "SETTLEMENT"
    AGREEMENT = "AGREEMENT"
    FEDERAL_RULE = "FEDERAL_RULE"


class Policy(models.Model):
    """Local law as versioned data. A new version is a new row (same ``key``, higher ``version``);
    evaluations store the id of the row they applied, so old decisions keep their basis."""

    key = models.SlugField(max_length=60, help_text="Stable id, e.g. CA-SB54")
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    citation = models.CharField(max_length=300)
    source_url = models.URLField(max_length=500, blank=True)
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )
    lea = models.ForeignKey(
        LawEnforcementAgency, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    hold_requests = models.CharField(max_length=32, choices=HoldRule.choices, default=HoldRule.HONOR)
    hold_max_hours = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Shorter ceiling than 48 h")
    notification_requests = models.CharField(max_length=16, choices=NotifyRule.choices, default=NotifyRule.ALLOWED)
    subpoena_handling = models.CharField(max_length=32, choices=SubpoenaRule.choices, default=SubpoenaRule.LEGAL_REVIEW)
    release_within_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Release must follow bond/PR within this many hours (e.g. Colorado 6 h)"
    )
    summary = models.TextField()
    approved_by = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["key", "-version"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="policy_key_version_unique"),
            models.CheckConstraint(
                condition=models.Q(jurisdiction__isnull=False) | models.Q(lea__isnull=False),
                name="policy_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    @property
    def rule_id(self) -> str:
        return f"{self.key} v{self.version}"
