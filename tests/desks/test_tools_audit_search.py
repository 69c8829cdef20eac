"""Auditor search of the audit trail: filters, pagination, CSV export; 403 for every other role."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.audit.models import AuditEvent
from holdtrack.desks.tools import audit_search
from tests.factories import T0, UserFactory, make_world, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(db):
    w = make_world()
    d = received(w)
    auditor = UserFactory(role=Role.AUDITOR, username="auditor1")
    return w, d, auditor


def _search(user, **params):
    q = QueryDict(mutable=True)
    q.update(params)
    f, errors = audit_search.parse_filter(q)
    return list(audit_search.audit_search_for_user(user, f)), errors


def test_filters(trail, client):
    w, d, auditor = trail
    client.force_login(w.booking_clerk)
    client.get(reverse("desks:detainer", args=[d.pk]))  # writes detainer.view
    events, _ = _search(auditor, action="detainer.view")
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [("detainer.view", str(d.pk), w.booking_clerk.pk)]
    events, _ = _search(auditor, entity_type="detainer", entity_id=str(d.pk))
    assert {e.action for e in events} >= {"detainer.prepare", "detainer.approve", "detainer.transmit", "detainer.view"}
    events, _ = _search(auditor, role=Role.AGENCY_SUPERVISOR)
    assert events and all(e.actor_role == Role.AGENCY_SUPERVISOR for e in events)
    events, _ = _search(auditor, actor=w.supervisor.username)
    assert events and all(e.actor_id == w.supervisor.pk for e in events)
    events, _ = _search(auditor, organization=str(w.lea_org.pk))
    assert events and all(e.actor.organization_id == w.lea_org.pk for e in events)
    events, _ = _search(auditor, action="detainer.")
    assert events and all(e.action.startswith("detainer.") for e in events)
    # Dates: the factory writes at T0; the view above is "now".
    day = T0.date().isoformat()
    events, _ = _search(auditor, date_from=day, date_to=day, entity_type="detainer")
    assert events and all(e.at.date() == T0.date() for e in events)
    assert not _search(auditor, date_to=(T0 - timedelta(days=1)).date().isoformat(), entity_type="detainer")[0]


def test_bad_filters_are_reported_per_field(trail):
    _w, _d, auditor = trail
    _events, errors = _search(auditor, date_from="yesterday", role="KING", organization="x")
    assert set(errors) == {"date_from", "role", "organization"}
    assert "YYYY-MM-DD" in errors["date_from"]
    _events, errors = _search(auditor, date_from="2026-03-05", date_to="2026-03-01")
    assert set(errors) == {"date_to"}


def test_page_and_pagination(trail, client):
    _w, _d, auditor = trail
    client.force_login(auditor)
    r = client.get(reverse("tools:audit"))
    assert r.status_code == 200
    total = AuditEvent.objects.count()
    assert f'data-count="{total}"' in r.content.decode()
    assert total > audit_search.PAGE_SIZE or client.get(reverse("tools:audit"), {"page": 2}).status_code == 200
    r = client.get(reverse("tools:audit"), {"action": "detainer.transmit"})
    assert 'data-count="1"' in r.content.decode()


def test_csv_export(trail, client):
    w, d, auditor = trail
    client.force_login(auditor)
    r = client.get(reverse("tools:audit_export"), {"entity_type": "detainer", "entity_id": str(d.pk)})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    expected = AuditEvent.objects.filter(entity_type="detainer", entity_id=str(d.pk))
    assert sorted(int(row["id"]) for row in rows) == sorted(expected.values_list("id", flat=True))
    assert set(rows[0]) == set(audit_search.CSV_COLUMNS)
    transmit = next(row for row in rows if row["action"] == "detainer.transmit")
    assert transmit["actor"] == w.officer.username and transmit["organization"] == w.office.name
    assert transmit["at_utc"].endswith("Z")
    # The export itself is recorded, with its filters.
    export = AuditEvent.objects.filter(action="audit.export").get()
    assert export.actor_id == auditor.pk
    assert export.data["filters"] == {"entity_type": "detainer", "entity_id": str(d.pk)}
    assert export.data["rows"] == len(rows)


def test_csv_cells_cannot_become_formulas():
    assert audit_search._safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert audit_search._safe_cell("detainer.view") == "detainer.view"


@pytest.mark.parametrize(
    "role",
    [Role.AGENCY_OFFICER, Role.AGENCY_SUPERVISOR, Role.LEA_BOOKING, Role.LEA_COUNSEL, Role.DOJ_ATTORNEY, Role.ANALYST],
)
def test_others_get_403(trail, client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("tools:audit")).status_code == 403
    assert client.get(reverse("tools:audit_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_admin_may_search(trail, client):
    client.force_login(UserFactory(role=Role.ADMIN))
    assert client.get(reverse("tools:audit")).status_code == 200


def test_selector_is_empty_for_non_auditors(trail):
    w, _d, _auditor = trail
    assert _search(w.officer)[0] == []
    assert not audit_search.may_read_audit(w.officer)


def test_anonymous_redirected(client):
    assert client.get(reverse("tools:audit")).status_code == 302
