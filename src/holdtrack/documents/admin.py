from __future__ import annotations

from django.contrib import admin

from holdtrack.core.admin import ServiceOwnedAdmin
from holdtrack.documents.models import DeliveryAttempt, Document


@admin.register(Document)
class DocumentAdmin(ServiceOwnedAdmin):
    """Documents are immutable; a correction is a new version stored through a service."""

    list_display = (
        "title",
        "kind",
        "case_type",
        "case_id",
        "language",
        "version",
        "origin",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
    )
    list_filter = ("kind", "case_type", "origin", "content_type", "language")
    search_fields = ("title", "=sha256", "=case_id")
    date_hierarchy = "uploaded_at"


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ServiceOwnedAdmin):
    """Deliveries and their acknowledgements are recorded by ``documents.delivery``; failures are settled there."""

    list_display = (
        "pk",
        "document",
        "recipient_org",
        "channel",
        "status",
        "attempted_at",
        "acknowledged_at",
        "resolved_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("=document__sha256", "recipient_org__name")
    date_hierarchy = "attempted_at"
    # The e-mail addresses of the recipients' staff are not shown here.
    exclude = ("addresses",)
