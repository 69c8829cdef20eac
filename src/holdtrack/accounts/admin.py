from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from holdtrack.accounts.models import Organization, User
from holdtrack.audit.services import audit_record
from holdtrack.core.admin import AuditedAdmin


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "aor", "lea", "judicial_district", "neutral_review_required")
    list_filter = ("kind", "neutral_review_required", "aor")
    search_fields = ("name", "judicial_district", "lea__ori")
    autocomplete_fields = ("aor", "lea")
    ordering = ("kind", "name")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organization", "is_active", "is_staff")
    list_filter = ("role", "organization__kind", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "organization__name")
    autocomplete_fields = ("organization",)
    ordering = ("username",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Role and organization", {"fields": ("role", "organization", "title", "subpoena_authority")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Role and organization", {"fields": ("role", "organization", "title", "subpoena_authority")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and getattr(response, "status_code", 200) == 302:
            audit_record(actor=request.user, action="admin.password_change", entity_type="accounts.user", entity_id=id)
        return response
