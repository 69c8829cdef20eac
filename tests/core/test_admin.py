"""Django admin: every model of the project apps is registered and its changelist renders; records written by
services (cases, custody, documents, audit) are view-only and show no personal data; state fields cannot be
changed; admin edits of reference data are audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from holdtrack.accounts.models import Role, User
from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.cases.models import Detainer
from holdtrack.custody.models import Subject
from holdtrack.documents.models import Document, DocumentKind
from holdtrack.jurisdictions.models import AreaOfResponsibility, Policy
from tests.factories import T0, expired_hold, hold_eligible, make_policy, subpoena_to

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("accounts", "audit", "jurisdictions", "custody", "cases", "documents")
SERVICE_OWNED = ("audit", "custody", "cases", "documents")


def project_models():
    return [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(username="root", password="root-password-for-tests", role=Role.ADMIN)


@pytest.fixture
def data(world):
    d = hold_eligible(world)
    subpoena_to(world, stage="enforced", detainer=d)
    expired_hold(world)
    make_policy(world.lea.jurisdiction, "TX-TEST", hold="HONOR", notify="ALLOWED")
    Document.objects.create(
        kind=DocumentKind.DETAINER_FORM,
        title="I-247A",
        case_type="detainer",
        case_id=d.pk,
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        storage_name="x.pdf",
        uploaded_by=world.officer,
        uploaded_at=T0,
    )
    return world


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_project_model_is_registered():
    missing = [m.__name__ for m in project_models() if not admin.site.is_registered(m)]
    assert missing == []
    assert len(project_models()) >= 26


def test_every_changelist_and_change_page_renders_for_a_superuser(client, root, data):
    client.force_login(root)
    for model in project_models():
        changelist = _url(model, "changelist")
        assert client.get(changelist).status_code == 200, model.__name__
        assert client.get(changelist, {"q": "abc"}).status_code == 200, f"{model.__name__} search"
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            assert client.get(_url(model, "change", obj.pk)).status_code == 200, f"{model.__name__} change"


def test_service_owned_records_cannot_be_added_changed_or_deleted(root):
    request = RequestFactory().get("/admin/")
    request.user = root
    for model in project_models():
        if model._meta.app_label not in SERVICE_OWNED:
            continue
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model.__name__
        assert not model_admin.has_change_permission(request), model.__name__
        assert not model_admin.has_delete_permission(request), model.__name__
        assert model_admin.has_view_permission(request), model.__name__
    for model in (Transition, AuditEvent):
        assert not admin.site._registry[model].has_add_permission(request)


def test_state_fields_are_read_only_and_the_admin_offers_no_way_to_change_them(client, root, data):
    client.force_login(root)
    d = Detainer.objects.first()
    page = client.get(_url(Detainer, "change", d.pk)).content.decode()
    assert 'name="state"' not in page
    assert client.get(_url(Detainer, "add")).status_code == 403
    response = client.post(_url(Detainer, "change", d.pk), {"state": "RELEASED_WINDOW_EXPIRED"})
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.state == "ACTIVE_HOLD_ELIGIBLE"
    request = RequestFactory().get("/admin/")
    request.user = root
    protected = 0
    for model in project_models():
        model_admin = admin.site._registry[model]
        for field in model._meta.concrete_fields:
            if getattr(field, "protected", False):  # django-fsm protected state field
                protected += 1
                assert field.name in model_admin.get_readonly_fields(request, None), model.__name__
                assert not model_admin.has_change_permission(request), model.__name__
    assert protected == 6  # detainer, subpoena, referral, court case, identity match, citizenship claim


def test_audit_rows_have_no_add_change_or_delete_in_the_admin(client, root, data):
    client.force_login(root)
    event = AuditEvent.objects.first()
    transition = Transition.objects.first()
    assert client.get(_url(AuditEvent, "add")).status_code == 403
    assert client.get(_url(Transition, "add")).status_code == 403
    assert client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert client.post(_url(Transition, "delete", transition.pk), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_shows_no_personal_data_of_subjects(client, root, data):
    client.force_login(root)
    subject = Subject.objects.first()
    for url in (_url(Subject, "changelist"), _url(Subject, "change", subject.pk), _url(Detainer, "changelist")):
        html = client.get(url).content.decode()
        assert subject.last_name not in html, url
        assert "1990-01-01" not in html and "Jan. 1, 1990" not in html, url


def test_admin_edits_of_reference_data_are_audited(client, root):
    client.force_login(root)
    response = client.post(_url(AreaOfResponsibility, "add"), {"name": "Denver"})
    assert response.status_code == 302
    aor = AreaOfResponsibility.objects.get(name="Denver")
    event = AuditEvent.objects.get(action="admin.add", entity_id=str(aor.pk))
    assert event.entity_type == "jurisdictions.areaofresponsibility"
    assert event.actor == root
    assert event.data == {"fields": ["name"]}


def test_a_saved_policy_version_keeps_its_content(client, root, world):
    policy = make_policy(world.lea.jurisdiction, "TX-TEST", hold="HONOR", notify="ALLOWED")
    client.force_login(root)
    page = client.get(_url(Policy, "change", policy.pk)).content.decode()
    assert 'name="hold_requests"' not in page and 'name="summary"' not in page
    assert 'name="effective_to"' in page
    response = client.post(
        _url(Policy, "change", policy.pk),
        {"effective_to": (date(2030, 1, 1)).isoformat(), "source_url": "", "hold_requests": "NEVER"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert policy.effective_to == date(2030, 1, 1)
    assert policy.hold_requests == "HONOR"
    assert AuditEvent.objects.filter(action="admin.change", entity_id=str(policy.pk)).exists()
