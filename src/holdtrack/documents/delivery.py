"""Delivery of documents to the other party, with a signed acknowledgement link (anchors.md 2.4 item 5).

- ``document_deliver`` sends a stored document to a party of its case by e-mail (attached, with the link) or
  makes it available in the portal; each sending is a ``DeliveryAttempt`` and, once sent, a
  ``document_sent`` event on the case.
- ``delivery_acknowledge`` is what the link does: the recipient's receipt becomes a
  ``delivery_acknowledged`` event on the case. Acknowledging an administrative subpoena that has not been
  served records its service (``subpoena_serve``), which starts the return-date clock.
- A failed sending (SMTP error, no address on file) stays in the sender's queue of failed deliveries
  (``failed_deliveries_for``) until a later attempt gets through or someone resolves it. ``WorkItem`` is not
  used: its kinds are clocks that ran out, and a delivery failure is not one.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from holdtrack.accounts.models import Organization, OrgKind, Role, User
from holdtrack.accounts.scope import AnyUser
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel, Transition
from holdtrack.audit.services import audit_record
from holdtrack.cases.models import CourtCase, Detainer, EnforcementReferral, Subpoena, SubpoenaState
from holdtrack.cases.services.detainers import detainer_expire_if_due
from holdtrack.cases.services.subpoenas import subpoena_serve
from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.core.timeutil import now
from holdtrack.documents.models import DeliveryAttempt, DeliveryChannel, DeliveryStatus, Document, DocumentKind
from holdtrack.documents.services import document_read, require_case_visible
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.steps import locked, note

ACK_SALT = "holdtrack.documents.ack"
ACK_MAX_AGE = 30 * 24 * 3600
CASE_MODELS: dict[str, Any] = {
    CaseType.DETAINER: Detainer,
    CaseType.SUBPOENA: Subpoena,
    CaseType.REFERRAL: EnforcementReferral,
    CaseType.COURT_CASE: CourtCase,
}


def _case_label(doc: Document) -> str:
    return f"{doc.case_type.replace('_', ' ')} {doc.case_id}"


def _lea_org_ids(lea_id: int) -> set[int]:
    return set(Organization.objects.filter(kind=OrgKind.LEA, lea_id=lea_id).values_list("pk", flat=True))


def case_parties(case_type: str, case_id: int) -> set[int]:
    """Organizations that are parties to the case: the only possible recipients of its documents."""
    if case_type == CaseType.DETAINER:
        d = Detainer.objects.get(pk=case_id)
        return {d.issuing_office_id} | _lea_org_ids(d.addressed_lea_id)
    if case_type == CaseType.SUBPOENA:
        s = Subpoena.objects.get(pk=case_id)
        ids = {s.issuing_office_id} | _lea_org_ids(s.recipient_lea_id)
        ref = EnforcementReferral.objects.filter(subpoena=s).first()
        return ids | ({ref.doj_office_id} if ref else set())
    if case_type in (CaseType.REFERRAL, CaseType.COURT_CASE):
        ref = (
            EnforcementReferral.objects.get(pk=case_id)
            if case_type == CaseType.REFERRAL
            else CourtCase.objects.get(pk=case_id).referral
        )
        return case_parties(CaseType.SUBPOENA, ref.subpoena_id)
    return set()


def ack_token(attempt: DeliveryAttempt) -> str:
    # The hash prefix ties the link to the exact bytes that were sent.
    return signing.dumps({"d": attempt.pk, "h": attempt.document.sha256[:16]}, salt=ACK_SALT)


def ack_url(attempt: DeliveryAttempt) -> str:
    base = str(getattr(settings, "HOLDTRACK_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse("desks:document_ack", args=[ack_token(attempt)])


def _case_note(
    doc: Document, name: str, *, service: str, actor: User, at: datetime, data: dict[str, Any], channel: str
) -> Transition:
    """A same-state event on the document's case, under the case's row lock."""
    model = CASE_MODELS[doc.case_type]
    if model is Detainer:
        # Any service acting on a detainer first ends a hold that reached its ceiling (ADR 0003).
        detainer_expire_if_due(Detainer.objects.get(pk=doc.case_id), now=at)
    with transaction.atomic():
        case = locked(model, doc.case_id)
        g = authorize(actor, service, case, channel=channel)
        return note(case, name, case_type=doc.case_type, actor=actor, grant=g, at=at, data=data, channel=channel)


def _email(doc: Document, attempt: DeliveryAttempt, sender: User) -> EmailMessage:
    sender_org = sender.organization.name if sender.organization else "holdtrack"
    lines = [
        f"{sender_org} has sent {attempt.recipient_org.name} the document “{doc.title}” "
        f"(version {doc.version}) concerning {_case_label(doc)}. It is attached.",
        "",
        f"SHA-256 of the attached file: {doc.sha256}",
        "",
        "Please acknowledge receipt (sign-in required; the link is valid for 30 days):",
        ack_url(attempt),
    ]
    if doc.kind == DocumentKind.SUBPOENA:
        lines += [
            "",
            "Acknowledging receipt of this administrative subpoena records its service; its return date is "
            "counted from that moment. An administrative subpoena is not a court order.",
        ]
    message = EmailMessage(
        subject=f"[holdtrack] {doc.title}",
        body="\n".join(lines) + "\n",
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        to=list(attempt.addresses),
    )
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}.get(
        doc.content_type, "bin"
    )
    message.attach(
        f"{doc.kind.lower()}-{doc.case_type}-{doc.case_id}-v{doc.version}.{ext}", document_read(doc), doc.content_type
    )
    return message


def document_deliver(
    *,
    actor: User,
    document: Document,
    recipient_org: Organization,
    channel: str = DeliveryChannel.EMAIL,
    to: list[str] | None = None,
    at: datetime | None = None,
) -> DeliveryAttempt:
    """Send ``document`` to a party of its case. A failure does not raise: it is recorded on the attempt
    (status FAILED, with the error) and stays in the sender's queue."""
    authorize(actor, "document_deliver")  # role and account first; the case is asked again under its lock
    at = at or now()
    if channel not in DeliveryChannel.values:
        raise ValidationFailed(f"Unknown delivery channel {channel!r}; use 'email' or 'portal'.")
    require_case_visible(actor, document.case_type, document.case_id)
    if recipient_org.pk not in case_parties(document.case_type, document.case_id):
        raise ValidationFailed(
            f"{recipient_org.name} is not a party to {_case_label(document)}; its documents go only to the parties."
        )
    if recipient_org.pk == getattr(actor, "organization_id", None):
        raise ValidationFailed("A document is delivered to the other party, not to the sender's own organization.")
    addresses = list(to) if to else []
    if channel == DeliveryChannel.EMAIL and not addresses:
        addresses = sorted(recipient_org.users.filter(is_active=True).exclude(email="").values_list("email", flat=True))
    attempt = DeliveryAttempt.objects.create(
        document=document,
        recipient_org=recipient_org,
        channel=channel,
        addresses=addresses,
        sent_by=actor,
        attempted_at=at,
    )
    error = ""
    if channel == DeliveryChannel.EMAIL:
        if not addresses:
            error = f"No e-mail address is on file for {recipient_org.name}."
        else:
            try:
                _email(document, attempt, actor).send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as exc:  # OSError: refused or unreachable server
                error = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.select_for_update().get(pk=attempt.pk)
        if error:
            attempt.status, attempt.error = DeliveryStatus.FAILED, error[:2000]
            attempt.save(update_fields=["status", "error"])
            audit_record(
                actor=actor,
                action="document.delivery_failed",
                entity_type="document",
                entity_id=document.pk,
                data={
                    "delivery_id": attempt.pk,
                    "recipient_org": recipient_org.pk,
                    "channel": channel,
                    "error": error[:300],
                },
                at=at,
            )
            return attempt
        attempt.status, attempt.sent_at = DeliveryStatus.SENT, at
        attempt.save(update_fields=["status", "sent_at"])
        # An earlier failure of the same document to the same party is settled by this sending.
        DeliveryAttempt.objects.filter(
            document=document, recipient_org=recipient_org, status=DeliveryStatus.FAILED, resolved_at__isnull=True
        ).update(resolved_at=at, resolution=f"Delivered by attempt {attempt.pk}")
        _case_note(
            document,
            "document_sent",
            service="document_deliver",
            actor=actor,
            at=at,
            channel=Channel.PORTAL,
            data={
                "delivery_id": attempt.pk,
                "document_id": document.pk,
                "kind": document.kind,
                "sha256": document.sha256,
                "recipient_org": recipient_org.pk,
                "channel": channel,
            },
        )
        return attempt


def delivery_acknowledge(*, actor: User, token: str, at: datetime | None = None) -> DeliveryAttempt:
    """Record the recipient's acknowledgement from a signed link. Idempotent: a second click changes nothing."""
    authorize(actor, "delivery_acknowledge")  # role and account first; the case is asked again under its lock
    at = at or now()
    attempt = delivery_from_token(token)
    if actor.organization_id != attempt.recipient_org_id:
        raise NotPermitted(
            f"This acknowledgement link is for {attempt.recipient_org.name}; sign in as one of its users."
        )
    if attempt.status == DeliveryStatus.ACKNOWLEDGED:
        return attempt
    doc = attempt.document
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.select_for_update().select_related("document").get(pk=attempt.pk)
        if attempt.status == DeliveryStatus.ACKNOWLEDGED:
            return attempt
        t = _case_note(
            doc,
            "delivery_acknowledged",
            service="delivery_acknowledge",
            actor=actor,
            at=at,
            channel=Channel.PORTAL,
            data={
                "delivery_id": attempt.pk,
                "document_id": doc.pk,
                "kind": doc.kind,
                "sha256": doc.sha256,
                "channel": attempt.channel,
            },
        )
        if doc.case_type == CaseType.SUBPOENA and doc.kind == DocumentKind.SUBPOENA:
            s = Subpoena.objects.get(pk=doc.case_id)
            if s.state == SubpoenaState.ISSUED and s.served_at is None:
                # Receipt acknowledged by the recipient is the service; the system records it, which starts the
                # return-date clock (R-SUBPOENA-RETURN).
                subpoena_serve(
                    actor=system_user(),
                    subpoena=s,
                    method=f"{attempt.channel.upper()}_ACK",
                    at=at,
                    channel=Channel.SYSTEM,
                )
        attempt.status = DeliveryStatus.ACKNOWLEDGED
        attempt.acknowledged_at, attempt.acknowledged_by, attempt.ack_transition = at, actor, t
        attempt.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "ack_transition"])
        audit_record(
            actor=actor,
            action="document.acknowledge",
            entity_type="document",
            entity_id=doc.pk,
            data={"delivery_id": attempt.pk, "transition": t.pk},
            at=at,
        )
        return attempt


def delivery_from_token(token: str) -> DeliveryAttempt:
    try:
        payload = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed(
            "This acknowledgement link has expired; ask the sender to deliver the document again."
        ) from None
    except signing.BadSignature:
        raise ValidationFailed("This acknowledgement link is not valid.") from None
    attempt = (
        DeliveryAttempt.objects.select_related("document", "recipient_org", "sent_by__organization")
        .filter(pk=payload.get("d"))
        .first()
    )
    if attempt is None or attempt.document.sha256[:16] != payload.get("h"):
        raise ValidationFailed("This acknowledgement link is not valid.")
    return attempt


def failed_deliveries_for(user: AnyUser) -> QuerySet[DeliveryAttempt]:
    """The queue of deliveries that did not get through, for the sender's organization."""
    qs = DeliveryAttempt.objects.filter(status=DeliveryStatus.FAILED, resolved_at__isnull=True).select_related(
        "document", "recipient_org"
    )
    if getattr(user, "role", None) in (Role.SYSTEM, Role.ADMIN):
        return qs.order_by("attempted_at")
    org_id = getattr(user, "organization_id", None)
    if org_id is None:
        return qs.none()
    return qs.filter(sent_by__organization_id=org_id).order_by("attempted_at")


def delivery_failure_resolve(
    *, actor: User, attempt: DeliveryAttempt, resolution: str, at: datetime | None = None
) -> DeliveryAttempt:
    """Close a failed delivery without a new sending (e.g. served by hand and recorded elsewhere)."""
    authorize(actor, "delivery_failure_resolve")
    at = at or now()
    if not resolution.strip():
        raise ValidationFailed("Say how the failed delivery was settled.")
    with transaction.atomic():
        a = DeliveryAttempt.objects.select_for_update().get(pk=attempt.pk)
        if a.status != DeliveryStatus.FAILED or a.resolved_at is not None:
            raise ValidationFailed(f"Delivery {a.pk} is not an open failure.")
        if actor.role != Role.SYSTEM and actor.organization_id != a.sent_by.organization_id:
            raise NotPermitted("Only the sender's organization resolves its failed deliveries.")
        a.resolved_at, a.resolution = at, resolution.strip()[:200]
        a.save(update_fields=["resolved_at", "resolution"])
        audit_record(
            actor=actor,
            action="document.delivery_resolved",
            entity_type="document",
            entity_id=a.document_id,
            data={"delivery_id": a.pk},
            at=at,
        )
        return a
