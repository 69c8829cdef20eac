"""Auditor search of the audit trail (lifecycle writes and access events) with CSV export.

Reads only through ``cases.access.audit_events_for_user`` (auditors and administrators; everyone else gets
nothing and the view answers 403). Exporting is itself recorded (``audit.export``) with the filters used.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import QueryDict

from holdtrack.accounts.models import Organization, Role
from holdtrack.accounts.scope import AnyUser, active_role
from holdtrack.audit.models import AuditEvent
from holdtrack.audit.services import audit_record
from holdtrack.cases import access
from holdtrack.core.timeutil import iso
from holdtrack.kernel.parties import authorize

PAGE_SIZE = 50
CSV_COLUMNS = [
    "id",
    "at_utc",
    "actor",
    "actor_role",
    "organization",
    "action",
    "entity_type",
    "entity_id",
    "data",
    "hash",
]


def may_read_audit(user: AnyUser) -> bool:
    return active_role(user) in access.AUDIT_READER_ROLES


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    role: str = ""
    organization: int | None = None
    action: str = ""
    entity_type: str = ""
    entity_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_query(self) -> dict[str, str]:
        return {k: ("" if v is None else str(v)) for k, v in asdict(self).items() if v not in (None, "")}


def _date(value: str, field: str, errors: dict[str, str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"{field.replace('_', ' ').capitalize()}: enter a date as YYYY-MM-DD."
        return None


def parse_filter(params: QueryDict) -> tuple[AuditFilter, dict[str, str]]:
    """Filters from the query string; bad values are reported per field and ignored."""
    errors: dict[str, str] = {}
    role = params.get("role", "").strip()
    if role and role not in Role.values:
        errors["role"] = "Role: choose one from the list."
        role = ""
    org: int | None = None
    org_raw = params.get("organization", "").strip()
    if org_raw:
        try:
            org = int(org_raw)
        except ValueError:
            errors["organization"] = "Organization: choose one from the list."
    f = AuditFilter(
        actor=params.get("actor", "").strip()[:150],
        role=role,
        organization=org,
        action=params.get("action", "").strip()[:64],
        entity_type=params.get("entity_type", "").strip()[:40],
        entity_id=params.get("entity_id", "").strip()[:40],
        date_from=_date(params.get("date_from", ""), "date_from", errors),
        date_to=_date(params.get("date_to", ""), "date_to", errors),
    )
    if f.date_from and f.date_to and f.date_to < f.date_from:
        errors["date_to"] = "Date to: must not be before date from."
    return f, errors


def audit_search_for_user(user: AnyUser, f: AuditFilter) -> QuerySet[AuditEvent]:
    """Events matching ``f``, newest first; empty for anyone but auditors and administrators."""
    qs = access.audit_events_for_user(user).select_related("actor__organization")
    if f.actor:
        qs = qs.filter(actor__username__icontains=f.actor)
    if f.role:
        qs = qs.filter(actor_role=f.role)
    if f.organization is not None:
        qs = qs.filter(actor__organization_id=f.organization)
    if f.action:
        # "detainer." finds every detainer action; a full name finds that one.
        qs = qs.filter(action__startswith=f.action) if f.action.endswith(".") else qs.filter(action__icontains=f.action)
    if f.entity_type:
        qs = qs.filter(entity_type=f.entity_type)
    if f.entity_id:
        qs = qs.filter(entity_id=f.entity_id)
    utc = ZoneInfo("UTC")
    if f.date_from:
        qs = qs.filter(at__gte=datetime.combine(f.date_from, time.min, tzinfo=utc))
    if f.date_to:
        qs = qs.filter(at__lt=datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=utc))
    return qs.order_by("-at", "-id")


def organizations_for_filter(user: AnyUser) -> QuerySet[Organization]:
    if not may_read_audit(user):
        return Organization.objects.none()
    return Organization.objects.order_by("kind", "name")


def _safe_cell(value: str) -> str:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(qs: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in qs.iterator(chunk_size=2000):
        org = e.actor.organization.name if e.actor and e.actor.organization else ""
        row = [
            str(e.id),
            iso(e.at) or "",
            e.actor.username if e.actor else "",
            e.actor_role,
            org,
            e.action,
            e.entity_type,
            e.entity_id,
            json.dumps(e.data, sort_keys=True, separators=(",", ":")),
            e.link,
        ]
        yield writer.writerow([_safe_cell(c) for c in row])


def audit_export_record(*, actor: Any, f: AuditFilter, count: int) -> None:
    authorize(actor, "audit_export_record")
    audit_record(
        actor=actor,
        action="audit.export",
        entity_type="audit",
        entity_id="csv",
        data={"filters": f.as_query(), "rows": count},
    )
