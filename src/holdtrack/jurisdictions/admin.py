from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from holdtrack.core.admin import AuditedAdmin
from holdtrack.jurisdictions.models import (
    Agreement287g,
    AreaOfResponsibility,
    Facility,
    Jurisdiction,
    LawEnforcementAgency,
    Policy,
)


@admin.register(AreaOfResponsibility)
class AreaOfResponsibilityAdmin(AuditedAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Jurisdiction)
class JurisdictionAdmin(AuditedAdmin):
    list_display = ("name", "level", "state_abbr", "fips", "aor", "timezone", "judicial_district")
    list_filter = ("level", "state_abbr", "aor", "timezone")
    search_fields = ("name", "=fips", "judicial_district")
    autocomplete_fields = ("parent", "aor", "member_counties")
    list_select_related = ("aor",)


@admin.register(LawEnforcementAgency)
class LawEnforcementAgencyAdmin(AuditedAdmin):
    list_display = ("ori", "name", "agency_type", "jurisdiction", "ori_synthetic")
    list_filter = ("agency_type", "ori_synthetic", "jurisdiction__state_abbr")
    search_fields = ("=ori", "name", "jurisdiction__name")
    autocomplete_fields = ("jurisdiction",)
    list_select_related = ("jurisdiction",)


@admin.register(Facility)
class FacilityAdmin(AuditedAdmin):
    list_display = ("code", "name", "facility_type", "operator", "timezone")
    list_filter = ("facility_type", "timezone")
    search_fields = ("=code", "name", "=operator__ori", "operator__name")
    autocomplete_fields = ("operator",)
    list_select_related = ("operator",)


@admin.register(Agreement287g)
class Agreement287gAdmin(AuditedAdmin):
    list_display = ("agency_name", "state_abbr", "model", "status", "signed_on", "county", "lea")
    list_filter = ("model", "status", "state_abbr")
    search_fields = ("agency_name", "=lea__ori", "county__name")
    autocomplete_fields = ("county", "lea")
    list_select_related = ("county", "lea")


@admin.register(Policy)
class PolicyAdmin(AuditedAdmin):
    """Local law as versioned data. Evaluations stored on cases point at a policy version, so a saved version
    keeps its content: only its end date and source link may change. A change in the law is a new version
    (a new row with the same key and a higher version)."""

    list_display = (
        "key",
        "version",
        "title",
        "instrument",
        "jurisdiction",
        "lea",
        "effective_from",
        "effective_to",
        "hold_requests",
        "notification_requests",
        "subpoena_handling",
    )
    list_filter = ("instrument", "hold_requests", "notification_requests", "subpoena_handling")
    search_fields = ("key", "title", "citation", "summary")
    autocomplete_fields = ("jurisdiction", "lea")
    list_select_related = ("jurisdiction", "lea")
    EDITABLE_AFTER_SAVE = ("effective_to", "source_url")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Decisions stored on cases cite a policy version: a version that no longer applies gets an end date
        # (``effective_to``), it is never deleted.
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            # Who approved a version is the signed-in administrator who entered it, not a free-text name.
            user = request.user
            name = getattr(user, "get_full_name", lambda: "")() or user.get_username()
            obj.approved_by = f"{name} (user {user.pk})"
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("approved_by",)
        return tuple(
            f.name
            for f in Policy._meta.get_fields()
            if getattr(f, "concrete", False) and f.name not in self.EDITABLE_AFTER_SAVE and f.name != "id"
        )
