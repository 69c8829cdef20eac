from __future__ import annotations

from django.contrib import admin

from holdtrack.core.admin import ServiceOwnedAdmin
from holdtrack.documents.models import Document


@admin.register(Document)
class DocumentAdmin(ServiceOwnedAdmin):
    """Documents are immutable; a correction is a new version stored through a service."""

    list_display = ("title", "kind", "case_type", "case_id", "version", "content_type", "size", "sha256", "uploaded_at")
    list_filter = ("kind", "case_type", "content_type", "language")
    search_fields = ("title", "=sha256", "=case_id")
    date_hierarchy = "uploaded_at"
