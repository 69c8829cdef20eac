"""Who acts: organizations (agency offices, LEAs, DOJ offices, courts) and their users with one role each."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class OrgKind(models.TextChoices):
    AGENCY_OFFICE = "AGENCY_OFFICE", "Federal agency field office"
    LEA = "LEA", "Law enforcement agency"
    DOJ = "DOJ", "Department of Justice office"
    COURT = "COURT", "Federal district court"
    OVERSIGHT = "OVERSIGHT", "Oversight / analysis"
    SYSTEM = "SYSTEM", "System"


class Role(models.TextChoices):
    AGENCY_OFFICER = "AGENCY_OFFICER", "Agency officer"
    AGENCY_SUPERVISOR = "AGENCY_SUPERVISOR", "Agency supervisor"
    AGENCY_COUNSEL = "AGENCY_COUNSEL", "Agency counsel"
    DOJ_ATTORNEY = "DOJ_ATTORNEY", "DOJ attorney"
    LEA_BOOKING = "LEA_BOOKING", "LEA booking staff"
    LEA_COUNSEL = "LEA_COUNSEL", "LEA counsel"
    ANALYST = "ANALYST", "Analyst"
    AUDITOR = "AUDITOR", "Auditor"
    ADMIN = "ADMIN", "Administrator"
    SYSTEM = "SYSTEM", "System"


AGENCY_ROLES = frozenset({Role.AGENCY_OFFICER, Role.AGENCY_SUPERVISOR, Role.AGENCY_COUNSEL})
LEA_ROLES = frozenset({Role.LEA_BOOKING, Role.LEA_COUNSEL})
# Roles that may see personal data at all (scoped further by organization).
PERSONAL_DATA_ROLES = AGENCY_ROLES | LEA_ROLES | {Role.DOJ_ATTORNEY, Role.SYSTEM}


class Organization(models.Model):
    kind = models.CharField(max_length=20, choices=OrgKind.choices)
    name = models.CharField(max_length=200)
    # Scope: an agency office covers one area of responsibility; an LEA org is one agency (ORI).
    aor = models.ForeignKey(
        "jurisdictions.AreaOfResponsibility", null=True, blank=True, on_delete=models.PROTECT, related_name="offices"
    )
    lea = models.OneToOneField(
        "jurisdictions.LawEnforcementAgency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organization",
    )
    # Gonzalez v. ICE settlement: covered offices need neutral review of probable cause within 48 h.
    neutral_review_required = models.BooleanField(default=False)
    judicial_district = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="org_kind_name_unique")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=24, choices=Role.choices, default=Role.ANALYST)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    title = models.CharField(
        max_length=120, blank=True, help_text="Official title, e.g. Assistant Field Office Director"
    )
    # 8 CFR 287.4(a)(1): only listed officials (or those delegated under 8 CFR 2.1) may sign subpoenas.
    subpoena_authority = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
