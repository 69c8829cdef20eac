"""Documents: immutable, hashed with SHA-256, linked to the case and event they belong to.

A ``DeliveryAttempt`` records each sending of a document to a counterparty; a failed one stays open in the
sender's queue until a later attempt succeeds or staff resolve it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class DocumentKind(models.TextChoices):
    DETAINER_FORM = "DETAINER_FORM", "Detainer form"
    NOTIFICATION_REQUEST = "NOTIFICATION_REQUEST", "Request for notification of release"
    DETAINER_CANCELLATION = "DETAINER_CANCELLATION", "Detainer cancellation"
    SUBJECT_NOTICE = "SUBJECT_NOTICE", "Notice served on the subject"
    ADMIN_WARRANT = "ADMIN_WARRANT", "Administrative warrant"
    JUDICIAL_WARRANT = "JUDICIAL_WARRANT", "Judicial warrant"
    SUBPOENA = "SUBPOENA", "Administrative subpoena"
    SERVICE_PROOF = "SERVICE_PROOF", "Proof of service"
    RESPONSE_LETTER = "RESPONSE_LETTER", "Response or objection letter"
    CUSTODIAN_CERTIFICATION = "CUSTODIAN_CERTIFICATION", "Custodian certification of produced records"
    REFERRAL_MEMO = "REFERRAL_MEMO", "Referral memorandum to DOJ"
    CLOCK_HISTORY = "CLOCK_HISTORY", "Clock history"
    NONCOMPLIANCE_RECORD = "NONCOMPLIANCE_RECORD", "Non-compliance record"
    ENFORCEMENT_PACKET = "ENFORCEMENT_PACKET", "Enforcement packet (PDF)"
    PACKET_ARCHIVE = "PACKET_ARCHIVE", "Enforcement packet (ZIP)"
    PETITION = "PETITION", "Petition"
    COURT_ORDER = "COURT_ORDER", "Court order"
    CITIZENSHIP_EVIDENCE = "CITIZENSHIP_EVIDENCE", "Citizenship evidence"
    OTHER = "OTHER", "Other"


class Origin(models.TextChoices):
    STORED = "STORED", "Stored by a service"
    RENDERED = "RENDERED", "Rendered from case data"
    UPLOADED = "UPLOADED", "Uploaded"
    ASSEMBLED = "ASSEMBLED", "Assembled from other documents"


class Document(models.Model):
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    case_type = models.CharField(max_length=24)
    case_id = models.BigIntegerField()
    transition = models.ForeignKey(
        "audit.Transition", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Versions are counted per series: one case can hold several letters of one kind (one per response) and
    # the same notice in several languages, each with its own history.
    series = models.CharField(max_length=40, blank=True, default="")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.STORED)
    version = models.PositiveIntegerField(default=1)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # For a rendered document: SHA-256 of what produced it (renderer, options and HTML). An unchanged source
    # needs no new layout: the stored bytes are what the renderer would give again.
    source_sha256 = models.CharField(max_length=64, blank=True, default="")
    storage_name = models.CharField(max_length=300)
    language = models.CharField(max_length=8, default="en")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case_type", "case_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["case_type", "case_id", "kind", "language", "series", "version"],
                name="document_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Documents are immutable; store a new version instead")
        super().save(*args, **kwargs)


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Portal"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Sending"
    SENT = "SENT", "Sent, not yet acknowledged"
    FAILED = "FAILED", "Delivery failed"
    ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged by the recipient"


class DeliveryAttempt(models.Model):
    """One sending of one document version to one organization. Status changes only through
    ``holdtrack.documents.delivery``; every change is audited."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="deliveries")
    recipient_org = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    addresses = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    error = models.TextField(blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attempted_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ack_transition = models.ForeignKey(
        "audit.Transition", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A failure stays in the sender's queue until a later attempt gets through or someone closes it.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "resolved_at"]),
            models.Index(fields=["document", "recipient_org"]),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} of document {self.document_id} ({self.status})"
