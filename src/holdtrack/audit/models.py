"""Two audit layers (anchors.md 1.5 item 4).

- ``Transition``: the append-only lifecycle log of every case (the case timeline a court receives).
- ``AuditEvent``: every write and every read of personal data, hash-chained so tampering is detectable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    pass


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class CaseType(models.TextChoices):
    DETAINER = "detainer"
    SUBPOENA = "subpoena"
    REFERRAL = "referral"
    COURT_CASE = "court_case"
    CITIZENSHIP_CLAIM = "citizenship_claim"
    IDENTITY_MATCH = "identity_match"
    BOOKING = "booking"


class Channel(models.TextChoices):
    PORTAL = "PORTAL", "Entered by the acting party"
    STAFF_RECORDED = "STAFF_RECORDED", "Recorded by staff from a document"
    SYSTEM = "SYSTEM", "System (clock or rule)"
    SIMULATOR = "SIMULATOR", "Simulator"
    IMPORT = "IMPORT", "Import"


class Transition(AppendOnlyModel):
    case_type = models.CharField(max_length=24, choices=CaseType.choices)
    case_id = models.BigIntegerField()
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(help_text="When it happened (UTC)")
    recorded_at = models.DateTimeField(auto_now_add=True)
    name = models.CharField(max_length=64)
    source = models.CharField(max_length=40)
    target = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=24)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case_type", "case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case_type", "case_id", "seq"], name="transition_seq_unique")]
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.case_type}:{self.case_id}#{self.seq} {self.source}->{self.target}"


class AuditEvent(AppendOnlyModel):
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=24, blank=True)
    action = models.CharField(max_length=64)
    entity_type = models.CharField(max_length=40)
    entity_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["entity_type", "entity_id"]), models.Index(fields=["action"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.entity_type}:{self.entity_id}"


class ChainHead(models.Model):
    """Singleton row locked by every audit write so that the hash chain stays linear."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain ({self.count} events)"
