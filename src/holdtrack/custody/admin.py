"""Custody records are written by services and carry personal data. The admin shows their bookkeeping only:
names, dates of birth, identifier values, charges and free-text notes are left out (an administrator sees no
personal data; case pages, which log each read, are the place for them)."""

from __future__ import annotations

from django.contrib import admin

from holdtrack.core.admin import ServiceOwnedAdmin
from holdtrack.custody.models import (
    Booking,
    BookingImportRow,
    BookingImportRun,
    CitizenshipClaim,
    IdentityLink,
    IdentityMatch,
    Person,
    Subject,
    SubjectIdentifier,
)


@admin.register(Subject)
class SubjectAdmin(ServiceOwnedAdmin):
    list_display = ("id", "synthetic", "preferred_language", "created_at")
    list_filter = ("synthetic", "preferred_language")
    search_fields = ("=id",)
    fields = ("synthetic", "preferred_language", "created_at")
    readonly_fields = ("created_at",)


@admin.register(SubjectIdentifier)
class SubjectIdentifierAdmin(ServiceOwnedAdmin):
    list_display = ("id", "subject", "type", "source")
    list_filter = ("type",)
    search_fields = ("=subject__id",)
    fields = ("subject", "type", "source")


@admin.register(Booking)
class BookingAdmin(ServiceOwnedAdmin):
    list_display = (
        "booking_number",
        "custodian",
        "facility",
        "booked_at",
        "release_eligible_at",
        "released_at",
        "release_type",
    )
    list_filter = ("release_type", "release_eligibility_reason", "facility")
    search_fields = ("=booking_number", "=custodian__ori", "=facility__code")
    date_hierarchy = "booked_at"
    list_select_related = ("custodian", "facility")
    fields = (
        "booking_number",
        "subject",
        "custodian",
        "facility",
        "booked_at",
        "projected_release_at",
        "release_eligible_at",
        "release_eligibility_reason",
        "released_at",
        "release_type",
        "released_to",
    )


@admin.register(IdentityMatch)
class IdentityMatchAdmin(ServiceOwnedAdmin):
    list_display = ("id", "booking", "subject", "basis", "score", "model_version", "status", "proposed_at")
    list_filter = ("status", "basis", "model_version")
    search_fields = ("=id", "=booking__booking_number")
    state_fields = ("status",)
    fields = (
        "booking",
        "subject",
        "basis",
        "score",
        "model_version",
        "proposed_at",
        "status",
        "reviewed_by",
        "reviewed_at",
    )


@admin.register(Person)
class PersonAdmin(ServiceOwnedAdmin):
    # Records join a person only through identity links (custody.identity); the admin shows, never edits.
    list_display = ("id", "created_at")
    search_fields = ("=id",)
    fields = ("created_at",)
    readonly_fields = ("created_at",)


@admin.register(IdentityLink)
class IdentityLinkAdmin(ServiceOwnedAdmin):
    list_display = ("id", "match", "booked_subject", "registry_subject", "linked_at", "undone_at")
    list_filter = ("undone_at",)
    search_fields = ("=match__id", "=booked_subject__id", "=registry_subject__id")
    fields = ("match", "booked_subject", "registry_subject", "linked_by", "linked_at", "undone_by", "undone_at")


@admin.register(CitizenshipClaim)
class CitizenshipClaimAdmin(ServiceOwnedAdmin):
    list_display = ("id", "subject", "basis", "status", "raised_at", "resolved_at")
    list_filter = ("status", "basis")
    search_fields = ("=id", "=subject__id")
    state_fields = ("status",)
    fields = ("subject", "basis", "raised_at", "raised_by", "status", "resolved_at")


@admin.register(BookingImportRun)
class BookingImportRunAdmin(ServiceOwnedAdmin):
    list_display = ("id", "file_name", "format", "mapping", "custodian", "started_at", "rows_read", "rows_imported")
    list_filter = ("format", "mapping")
    search_fields = ("file_name", "=file_sha256")


@admin.register(BookingImportRow)
class BookingImportRowAdmin(ServiceOwnedAdmin):
    # Provenance only: which file and row produced which booking event.
    list_display = ("id", "run", "custodian_ori", "booking_number", "event", "file_sha256")
    list_filter = ("event",)
    search_fields = ("=booking_number", "=custodian_ori")
