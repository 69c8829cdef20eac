"""Documents: immutable, hashed with SHA-256, linked to the case and event they belong to."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DocumentKind(models.TextChoices):
    DETAINER_FORM = "DETAINER_FORM", "Detainer form"
    DETAINER_CANCELLATION = "DETAINER_CANCELLATION", "Detainer cancellation"
    ADMIN_WARRANT = "ADMIN_WARRANT", "Administrative warrant"
    JUDICIAL_WARRANT = "JUDICIAL_WARRANT", "Judicial warrant"
    SUBPOENA = "SUBPOENA", "Administrative subpoena"
    SERVICE_PROOF = "SERVICE_PROOF", "Proof of service"
    RESPONSE_LETTER = "RESPONSE_LETTER", "Response or objection letter"
    PETITION = "PETITION", "Petition"
    COURT_ORDER = "COURT_ORDER", "Court order"
    CITIZENSHIP_EVIDENCE = "CITIZENSHIP_EVIDENCE", "Citizenship evidence"
    OTHER = "OTHER", "Other"


class Document(models.Model):
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    case_type = models.CharField(max_length=24)
    case_id = models.BigIntegerField()
    transition = models.ForeignKey(
        "audit.Transition", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=300)
    language = models.CharField(max_length=8, default="en")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case_type", "case_id"])]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "case_id", "kind", "version"], name="document_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise ValueError("Documents are immutable; store a new version instead")
        super().save(*args, **kwargs)
