"""Desk tools state: in-app notifications and the secret tokens of the per-user calendar feeds.

Neither holds personal data: a notification names a case by kind and id and links to its page, where the
access rules apply again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    NEW_DETAINER = "NEW_DETAINER", "New detainer addressed to your agency"
    HOLD_ENDING = "HOLD_ENDING", "Hold ending soon"
    SUBPOENA_RETURN = "SUBPOENA_RETURN", "Subpoena return date"
    COMPLY_BY = "COMPLY_BY", "Court comply-by date"
    CITIZENSHIP_CLAIM = "CITIZENSHIP_CLAIM", "Citizenship claim opened"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True, help_text="Site path of the case page")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # kind + case + occasion + recipient: re-running a signal or the periodic task creates nothing new.
    dedupe_key = models.CharField(max_length=160, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"


class CalendarFeedToken(models.Model):
    """The secret in a user's iCalendar feed URL. Rotating revokes the old token; a revoked token is a 404."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"calendar feed token {self.pk} of user {self.user_id}"
