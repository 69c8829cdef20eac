"""Delivery by e-mail and portal with a signed acknowledgement link; the acknowledgement is an event on the
case, and for an unserved subpoena it is the service that starts the return-date clock. Failures are queued."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail, signing
from django.core.mail.backends.base import BaseEmailBackend

from holdtrack.audit.export import iter_events
from holdtrack.audit.models import Channel, Transition
from holdtrack.cases import clocks
from holdtrack.cases.invariants import check_events
from holdtrack.cases.models import SubpoenaState
from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.documents.delivery import (
    ACK_SALT,
    ack_url,
    delivery_acknowledge,
    delivery_failure_resolve,
    document_deliver,
    failed_deliveries_for,
)
from holdtrack.documents.models import DeliveryStatus, DocumentKind
from holdtrack.documents.services import document_render_and_store
from tests.factories import T0, hold_eligible, other_aor_world, subpoena_to

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"counsel@lea.example": (550, b"mailbox unavailable")})


@pytest.fixture
def issued(world):
    world.lea_counsel.email = "counsel@lea.example"
    world.lea_counsel.save()
    world.booking_clerk.email = "booking@lea.example"
    world.booking_clerk.save()
    s = subpoena_to(world, stage="issued", detainer=hold_eligible(world))
    doc = document_render_and_store(
        actor=world.supervisor, kind=DocumentKind.SUBPOENA, case_type="subpoena", case_id=s.pk
    )
    return s, doc


def _ack_path(body: str) -> str:
    url = re.search(r"https?://\S+/documents/ack/\S+/", body)
    assert url, body
    return urlparse(url.group(0)).path


def test_email_delivery_and_acknowledgement_serve_the_subpoena(world, issued, client):
    s, doc = issued
    sent_at = T0 + timedelta(days=4)
    attempt = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org, at=sent_at)
    assert attempt.status == DeliveryStatus.SENT

    # The e-mail: to every user of the LEA with an address, the PDF attached, the signed link in the body.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["booking@lea.example", "counsel@lea.example"]
    assert message.subject == f"[holdtrack] {doc.title}"
    name, content, content_type = message.attachments[0]
    assert content_type == "application/pdf" and content.startswith(b"%PDF") and name.endswith(".pdf")
    assert doc.sha256 in message.body and "records its service" in message.body
    path = _ack_path(str(message.body))
    sent = Transition.objects.get(case_type="subpoena", case_id=s.pk, name="document_sent")
    assert sent.data["delivery_id"] == attempt.pk and sent.source == sent.target == SubpoenaState.ISSUED

    # GET shows what will be acknowledged and records nothing (link scanners use GET).
    client.force_login(world.lea_counsel)
    page = client.get(path)
    assert page.status_code == 200 and b"Acknowledge receipt" in page.content and b"records its service" in page.content
    s.refresh_from_db()
    assert s.state == SubpoenaState.ISSUED

    # POST records the acknowledgement and, for an unserved subpoena, the service.
    done = client.post(path)
    assert done.status_code == 200 and b"Receipt recorded" in done.content
    s.refresh_from_db()
    attempt.refresh_from_db()
    assert attempt.status == DeliveryStatus.ACKNOWLEDGED and attempt.acknowledged_by == world.lea_counsel
    assert s.state == SubpoenaState.SERVED and s.service_method == "EMAIL_ACK"
    ack = Transition.objects.get(case_type="subpoena", case_id=s.pk, name="delivery_acknowledged")
    serve = Transition.objects.get(case_type="subpoena", case_id=s.pk, name="serve")
    assert attempt.ack_transition == ack and ack.actor == world.lea_counsel
    assert serve.channel == Channel.SYSTEM and serve.seq == ack.seq + 1 and serve.at == ack.at == s.served_at
    clock = clocks.subpoena_return(s.served_at, s.return_days, s.recipient_lea.jurisdiction.timezone)
    assert s.return_due_at == clock.due_at and serve.data["clocks"][0]["rule"] == "R-SUBPOENA-RETURN v1"

    # A second click changes nothing.
    again = client.post(path)
    assert again.status_code == 200 and b"already recorded" in again.content
    assert Transition.objects.filter(case_type="subpoena", case_id=s.pk, name="serve").count() == 1
    assert check_events(iter_events()) == []


def test_acknowledgement_of_a_served_subpoena_or_another_document_is_a_note(world):
    s = subpoena_to(world, stage="served", detainer=hold_eligible(world))
    doc = document_render_and_store(
        actor=world.officer, kind=DocumentKind.SERVICE_PROOF, case_type="subpoena", case_id=s.pk
    )
    attempt = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org, channel="portal")
    assert attempt.status == DeliveryStatus.SENT and mail.outbox == []  # portal: no e-mail
    token = ack_url(attempt).rsplit("/ack/", 1)[1].rstrip("/")
    served_at = s.served_at
    delivery_acknowledge(actor=world.booking_clerk, token=token)
    s.refresh_from_db()
    assert s.served_at == served_at and s.state == SubpoenaState.SERVED
    names = list(Transition.objects.filter(case_type="subpoena", case_id=s.pk).values_list("name", flat=True))
    assert names[-2:] == ["document_sent", "delivery_acknowledged"] and names.count("serve") == 1


def test_detainer_documents_are_delivered_and_acknowledged_on_the_detainer(world):
    world.booking_clerk.email = "booking@lea.example"
    world.booking_clerk.save()
    d = hold_eligible(world)
    doc = document_render_and_store(
        actor=world.officer, kind=DocumentKind.DETAINER_FORM, case_type="detainer", case_id=d.pk
    )
    attempt = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    token = _ack_path(str(mail.outbox[0].body)).split("/ack/")[1].rstrip("/")
    delivery_acknowledge(actor=world.booking_clerk, token=token)
    attempt.refresh_from_db()
    assert attempt.status == DeliveryStatus.ACKNOWLEDGED
    assert attempt.ack_transition is not None and attempt.ack_transition.case_type == "detainer"
    assert check_events(iter_events()) == []


def test_smtp_failure_is_queued_and_settled_by_a_later_delivery(world, issued, settings):
    s, doc = issued
    settings.EMAIL_BACKEND = "tests.documents.test_delivery.RefusingBackend"
    failed = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    assert failed.status == DeliveryStatus.FAILED and "SMTPRecipientsRefused" in failed.error
    assert list(failed_deliveries_for(world.supervisor)) == [failed]  # the sender's office sees it
    assert list(failed_deliveries_for(world.lea_counsel)) == []
    assert not Transition.objects.filter(case_type="subpoena", case_id=s.pk, name="document_sent").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ok = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    failed.refresh_from_db()
    assert ok.status == DeliveryStatus.SENT and failed.resolved_at is not None
    assert failed.resolution == f"Delivered by attempt {ok.pk}"
    assert list(failed_deliveries_for(world.supervisor)) == []


def test_no_address_on_file_is_a_failure_that_staff_can_resolve(world):
    s = subpoena_to(world, stage="issued", detainer=hold_eligible(world))
    doc = document_render_and_store(actor=world.officer, kind=DocumentKind.SUBPOENA, case_type="subpoena", case_id=s.pk)
    failed = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    assert failed.status == DeliveryStatus.FAILED and "No e-mail address is on file" in failed.error
    with pytest.raises(NotPermitted):
        delivery_failure_resolve(actor=world.lea_counsel, attempt=failed, resolution="x")
    resolved = delivery_failure_resolve(actor=world.officer, attempt=failed, resolution="Served by hand; see proof.")
    assert resolved.resolved_at is not None and list(failed_deliveries_for(world.officer)) == []


def test_documents_go_only_to_parties_and_links_are_checked(world, issued, client):
    s, doc = issued
    stranger = other_aor_world()
    with pytest.raises(ValidationFailed, match="is not a party"):
        document_deliver(actor=world.officer, document=doc, recipient_org=stranger.lea_org)
    with pytest.raises(ValidationFailed, match="not to the sender's own organization"):
        document_deliver(actor=world.officer, document=doc, recipient_org=world.office)
    with pytest.raises(ValidationFailed, match="Unknown delivery channel"):
        document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org, channel="fax")

    attempt = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    token = ack_url(attempt).split("/ack/")[1].rstrip("/")
    # Someone of another organization holding the link: refused, nothing shown, nothing recorded.
    with pytest.raises(NotPermitted, match="sign in as one of its users"):
        delivery_acknowledge(actor=world.officer, token=token)
    client.force_login(world.officer)
    page = client.get(f"/documents/ack/{token}/")
    assert page.status_code == 403 and doc.sha256.encode() not in page.content
    # Tampered, expired and foreign tokens.
    with pytest.raises(ValidationFailed, match="not valid"):
        delivery_acknowledge(actor=world.lea_counsel, token=token[:-2] + "xx")
    forged = signing.dumps({"d": attempt.pk, "h": "0" * 16}, salt=ACK_SALT)
    with pytest.raises(ValidationFailed, match="not valid"):
        delivery_acknowledge(actor=world.lea_counsel, token=forged)
    client.force_login(world.lea_counsel)
    assert client.get("/documents/ack/not-a-token/").status_code == 400
    s.refresh_from_db()
    assert s.state == SubpoenaState.ISSUED


def test_expired_link(world, issued, monkeypatch):
    _s, doc = issued
    attempt = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    token = ack_url(attempt).split("/ack/")[1].rstrip("/")
    monkeypatch.setattr("holdtrack.documents.delivery.ACK_MAX_AGE", -1)
    with pytest.raises(ValidationFailed, match="expired"):
        delivery_acknowledge(actor=world.lea_counsel, token=token)


def test_ack_page_needs_sign_in(world, issued, client):
    _s, doc = issued
    attempt = document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)
    path = urlparse(ack_url(attempt)).path
    response = client.get(path)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_failed_delivery_shows_on_the_senders_dashboard_with_a_download_link(world, client):
    s = subpoena_to(world, stage="issued", detainer=hold_eligible(world))
    doc = document_render_and_store(actor=world.officer, kind=DocumentKind.SUBPOENA, case_type="subpoena", case_id=s.pk)
    document_deliver(actor=world.officer, document=doc, recipient_org=world.lea_org)  # no address on file
    client.force_login(world.officer)
    page = client.get("/").content.decode()
    assert "Deliveries that did not get through" in page
    assert f"/documents/{doc.pk}/download/" in page
    client.force_login(world.lea_counsel)  # the recipient's desk does not list the sender's failures
    assert f"/documents/{doc.pk}/download/" not in client.get("/").content.decode()
