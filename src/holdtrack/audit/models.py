"""Two audit layers (anchors.md 1.5 item 4).

- ``Transition``: the append-only lifecycle log of every case (the case timeline a court receives).
- ``AuditEvent``: every write and every read of personal data.

Both are links of one keyed chain (ADR 0015): a row is inserted with empty chain fields, so no request waits
on a shared head, and ``holdtrack.audit.chain`` later gives it its place (``chain_seq``) and its HMAC link.
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


class Chained(models.Model):
    """The chain fields, empty until the chainer fills them, once (the PostgreSQL trigger allows only that)."""

    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    # Database defaults too: bulk loaders (COPY in custody.ingest) name only the columns they fill.
    chain_key = models.CharField(
        max_length=16, blank=True, default="", db_default="", editable=False, help_text="HMAC key id"
    )
    chain_link = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        abstract = True


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


class Transition(AppendOnlyModel, Chained):
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
        indexes = [
            models.Index(fields=["at"]),
            # The chainer's queue: only unchained rows are in it, so finding them costs nothing as the log grows.
            models.Index(fields=["id"], condition=models.Q(chain_seq__isnull=True), name="transition_unchained"),
        ]

    def __str__(self) -> str:
        return f"{self.case_type}:{self.case_id}#{self.seq} {self.source}->{self.target}"


class AuditEvent(AppendOnlyModel, Chained):
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=24, blank=True)
    action = models.CharField(max_length=64)
    entity_type = models.CharField(max_length=40)
    entity_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    # The unkeyed SHA-256 chain of events recorded before ADR 0015; empty on later events. The keyed link of a
    # legacy event covers its legacy hash, which seals the old chain into the new one.
    prev_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id"]),
            models.Index(fields=["action"]),
            models.Index(fields=["id"], condition=models.Q(chain_seq__isnull=True), name="auditevent_unchained"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.entity_type}:{self.entity_id}"

    @property
    def link(self) -> str:
        """The keyed link, or the legacy hash of an event from before ADR 0015; "" until it is chained."""
        return self.chain_link or self.hash or ""


class ChainHead(models.Model):
    """The chainer's singleton: locked only by the chaining step (never on the request path), so two chainers
    never give out the same position. ``last_hash`` and ``count`` mirror the chain's tail for the admin."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain ({self.count} events)"
