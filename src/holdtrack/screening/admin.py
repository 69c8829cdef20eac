"""Read-only admin: models are stored by the training service; the registry index carries personal data and
is not shown at all."""

from django.contrib import admin

from holdtrack.core.admin import ServiceOwnedAdmin
from holdtrack.screening.models import ScreeningModel


@admin.register(ScreeningModel)
class ScreeningModelAdmin(ServiceOwnedAdmin):
    list_display = ("version", "active", "review_threshold", "registry_size", "trained_at")
    fields = ("version", "active", "review_threshold", "registry_size", "training_registry", "training_bookings",
              "trained_at", "notes")  # fmt: skip
    readonly_fields = fields
