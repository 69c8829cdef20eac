"""Case records are written only by ``cases.services``; here they can be looked up, not changed. State
fields are protected FSM fields and are always read-only. Subject names never appear: a detainer shows its
subject as ``Subject <id>``."""

from __future__ import annotations

from django.contrib import admin

from holdtrack.cases.models import (
    CourtCase,
    CourtOrder,
    Detainer,
    EnforcementReferral,
    Notification,
    Subpoena,
    SubpoenaResponse,
    Warrant,
    WorkItem,
)
from holdtrack.core.admin import ServiceOwnedAdmin


@admin.register(Detainer)
class DetainerAdmin(ServiceOwnedAdmin):
    list_display = (
        "id",
        "state",
        "form_type",
        "request_type",
        "addressed_lea",
        "facility",
        "issuing_office",
        "prepared_at",
        "outcome_group",
    )
    list_filter = ("state", "form_type", "request_type", "outcome_group", "issuing_office")
    search_fields = ("=id", "=addressed_lea__ori", "=facility__code", "=booking__booking_number")
    date_hierarchy = "prepared_at"
    list_select_related = ("addressed_lea", "facility", "issuing_office")
    state_fields = ("state",)


@admin.register(Warrant)
class WarrantAdmin(ServiceOwnedAdmin):
    list_display = ("id", "detainer", "warrant_type", "is_judicial", "number", "signed_by_title", "signed_at")
    list_filter = ("warrant_type", "is_judicial")
    search_fields = ("=detainer__id", "number")


@admin.register(Notification)
class NotificationAdmin(ServiceOwnedAdmin):
    list_display = ("id", "detainer", "kind", "sent_at", "expected_release_at", "lead_time_hours")
    list_filter = ("kind",)
    search_fields = ("=detainer__id",)


@admin.register(WorkItem)
class WorkItemAdmin(ServiceOwnedAdmin):
    list_display = ("id", "kind", "organization", "due_at", "resolved_at", "detainer", "subpoena", "court_case")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter), "organization__kind")
    search_fields = ("=detainer__id", "=subpoena__id", "dedupe_key")
    list_select_related = ("organization",)


@admin.register(Subpoena)
class SubpoenaAdmin(ServiceOwnedAdmin):
    list_display = ("id", "state", "recipient_lea", "issuing_office", "issued_at", "served_at", "return_due_at")
    list_filter = ("state", "issuing_office")
    search_fields = ("=id", "=recipient_lea__ori")
    list_select_related = ("recipient_lea", "issuing_office")
    state_fields = ("state",)


@admin.register(SubpoenaResponse)
class SubpoenaResponseAdmin(ServiceOwnedAdmin):
    list_display = ("id", "subpoena", "response_type", "sent_at")
    list_filter = ("response_type",)
    search_fields = ("=subpoena__id",)


@admin.register(EnforcementReferral)
class EnforcementReferralAdmin(ServiceOwnedAdmin):
    list_display = ("id", "subpoena", "state", "doj_office", "usao_district", "referred_at")
    list_filter = ("state", "doj_office")
    search_fields = ("=id", "=subpoena__id", "usao_district")
    state_fields = ("state",)


@admin.register(CourtCase)
class CourtCaseAdmin(ServiceOwnedAdmin):
    list_display = ("court", "case_number", "state", "filed_at", "comply_by")
    list_filter = ("state", "court")
    search_fields = ("case_number", "court")
    state_fields = ("state",)


@admin.register(CourtOrder)
class CourtOrderAdmin(ServiceOwnedAdmin):
    list_display = ("id", "case", "order_type", "issued_at", "issued_by", "comply_within_days")
    list_filter = ("order_type",)
    search_fields = ("=case__case_number", "issued_by")
