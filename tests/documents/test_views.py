"""Download of stored documents and the HTML equivalent of a generated one, scoped like the case pages."""

from __future__ import annotations

import pytest

from holdtrack.audit.models import AuditEvent
from holdtrack.documents.models import DocumentKind
from holdtrack.documents.services import document_render_and_store
from tests.documents.scenarios import build
from tests.factories import other_aor_world

pytestmark = pytest.mark.django_db


def test_download_is_scoped_audited_and_never_inline(world, client):
    cases = build(world)
    doc = document_render_and_store(
        actor=world.officer, kind=DocumentKind.SUBPOENA, case_type="subpoena", case_id=cases.subpoena.pk
    )
    url = f"/documents/{doc.pk}/download/"
    client.force_login(world.lea_counsel)  # the recipient (served) may read it
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="document.download", entity_id=str(doc.pk)).count() == 1

    client.force_login(other_aor_world().officer)
    assert client.get(url).status_code == 404
    assert client.get("/documents/999999/download/").status_code == 404


def test_html_equivalent_of_each_generated_document(world, client):
    cases = build(world)
    client.force_login(world.officer)
    page = client.get(f"/documents/preview/SUBJECT_NOTICE/detainer/{cases.detainer.pk}/?lang=es")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert '<html lang="es">' in page.content.decode() and "ciudadano de los Estados Unidos" in page.content.decode()
    assert "default-src 'none'" in page["Content-Security-Policy"]
    memo = client.get(f"/documents/preview/REFERRAL_MEMO/referral/{cases.subpoena.referral.pk}/")
    assert memo.status_code == 200 and b"8 U.S.C. 1225(d)(4)(B)" in memo.content
    refused = client.get(f"/documents/preview/DETAINER_CANCELLATION/detainer/{cases.detainer.pk}/")
    assert refused.status_code == 409 and b"not lifted" in refused.content
    assert client.get(f"/documents/preview/NOPE/detainer/{cases.detainer.pk}/").status_code == 404
    client.force_login(other_aor_world().officer)
    assert client.get(f"/documents/preview/SUBPOENA/subpoena/{cases.subpoena.pk}/").status_code == 404
