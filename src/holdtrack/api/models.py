"""API clients (token authentication for system clients) and outbound webhooks for LEA systems."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiClient(models.Model):
    """A system of one organization (e.g. an LEA's jail management system) calling the API.

    Only the SHA-256 of the token is stored; the token itself is shown once, at creation. Every write is
    attributed to ``user``, the client's service account in the same organization."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="api_clients")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    name = models.CharField(max_length=120)
    scopes = models.JSONField(default=list)
    token_prefix = models.CharField(max_length=12, help_text="First characters of the token, to tell tokens apart")
    token_sha256 = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="api_client_org_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"


class WebhookEvent(models.TextChoices):
    DETAINER_TRANSMITTED = "detainer.transmitted", "A detainer was transmitted to the LEA"
    DETAINER_LIFTED = "detainer.lifted", "A detainer was lifted or cancelled"
    SUBPOENA_SERVED = "subpoena.served", "A subpoena was served on the LEA"


class WebhookEndpoint(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # Kept in clear: it signs every delivery (the receiver holds the same secret).
    secret = models.CharField(max_length=128)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.url} ({self.organization})"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RETRYING = "RETRYING", "Retrying after a failure"
    DELIVERED = "DELIVERED", "Delivered"
    FAILED = "FAILED", "Failed (attempts exhausted)"


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    # The transition that raised it: one delivery per endpoint and transition, however often the hook fires.
    transition_id = models.BigIntegerField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    log = models.JSONField(default=list, help_text="One entry per attempt: at, status code or error, duration")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "transition_id"], name="webhook_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint.url} ({self.status})"
