from __future__ import annotations

from django.contrib import admin

from holdtrack.audit.models import AuditEvent, ChainHead, Transition
from holdtrack.core.admin import ServiceOwnedAdmin


@admin.register(Transition)
class TransitionAdmin(ServiceOwnedAdmin):
    """The append-only lifecycle log of every case."""

    list_display = ("id", "case_type", "case_id", "seq", "at", "name", "source", "target", "actor_role", "channel")
    list_filter = ("case_type", "channel", "actor_role", "name")
    search_fields = ("=case_id", "name", "source", "target")
    date_hierarchy = "at"
    ordering = ("-id",)


@admin.register(AuditEvent)
class AuditEventAdmin(ServiceOwnedAdmin):
    """The hash-chained audit trail: every write and every read of personal data."""

    list_display = ("id", "at", "action", "entity_type", "entity_id", "actor", "actor_role")
    list_filter = ("entity_type", "actor_role", "action")
    search_fields = ("action", "=entity_id", "actor__username", "=hash", "=chain_link")
    date_hierarchy = "at"
    ordering = ("-id",)
    list_select_related = ("actor",)


@admin.register(ChainHead)
class ChainHeadAdmin(ServiceOwnedAdmin):
    list_display = ("id", "count", "last_hash")
    search_fields = ("=last_hash",)
    list_filter = ()
