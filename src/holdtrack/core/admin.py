"""Shared admin behaviour. Each app registers its own models in its ``admin.py``.

- ``ServiceOwnedAdmin``: rows written only by services (cases, custody, documents, audit). The admin may
  look, never add, change or delete: a write outside a service would skip its guards, its transition log
  and its audit event (brief.md principles 2 and 4).
- ``AuditedAdmin``: reference data an administrator may edit (users, organizations, jurisdictions,
  policies). Every add, change and delete made here is written to the hash-chained audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from holdtrack.audit.services import audit_record

admin.site.site_header = "holdtrack administration"
admin.site.site_title = "holdtrack administration"
admin.site.index_title = "Users, organizations, reference data and policies"


class ServiceOwnedAdmin(admin.ModelAdmin):
    """View-only: state changes and case facts are recorded through services, never here."""

    # Protected FSM state fields are named here as well, so that they stay read-only even if a subclass
    # ever allows changes.
    state_fields: tuple[str, ...] = ()
    list_per_page = 50

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return (*super().get_readonly_fields(request, obj), *self.state_fields)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Editable reference data; each admin write leaves an audit event with the fields it changed."""

    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @staticmethod
    def _entity(obj: Model) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"admin.{'change' if change else 'add'}",
            entity_type=self._entity(obj),
            entity_id=obj.pk,
            data={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        pk, entity = obj.pk, self._entity(obj)
        super().delete_model(request, obj)
        audit_record(actor=request.user, action="admin.delete", entity_type=entity, entity_id=pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        rows = [(self._entity(obj), obj.pk) for obj in queryset]
        super().delete_queryset(request, queryset)
        for entity, pk in rows:
            audit_record(actor=request.user, action="admin.delete", entity_type=entity, entity_id=pk)
