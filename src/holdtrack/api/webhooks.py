"""Outbound webhooks to LEA systems: recorded on commit of the step, delivered by the task queue.

- A step handler (``on_steps``, registered with ``kernel.dispatch`` in ``ApiConfig.ready``) picks the steps an
  LEA must hear about; once the transaction commits, one ``WebhookDelivery`` per subscribed endpoint of the
  addressed agency is stored (unique per endpoint and transition) and a task is queued.
- Each attempt vets the URL again (``webhook_targets``: public addresses only, the vetted address connected
  to, no redirects) and signs ``"{timestamp}.{body}"`` with HMAC-SHA256 and the endpoint's secret
  (``X-Holdtrack-Signature: sha256=<hex>``, ``X-Holdtrack-Timestamp``), logs the outcome on the delivery,
  and on failure schedules the next attempt with exponential back-off until the attempts run out.
- An attempt first takes a short lease (``next_attempt_at`` moved ahead under a row lock), so the queued
  retry and the periodic sweep never send the same attempt twice.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from holdtrack.api import webhook_targets as targets
from holdtrack.api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from holdtrack.audit.models import CaseType, Transition
from holdtrack.cases.models import Detainer, Subpoena
from holdtrack.core.timeutil import now as clock_now
from holdtrack.kernel.dispatch import on_step

log = logging.getLogger(__name__)

# (case type, transition name) → event. A lift matters to the LEA only once it was sent the detainer.
EVENTS: dict[tuple[str, str], str] = {
    (CaseType.DETAINER, "transmit"): WebhookEvent.DETAINER_TRANSMITTED,
    (CaseType.DETAINER, "lift"): WebhookEvent.DETAINER_LIFTED,
    (CaseType.SUBPOENA, "serve"): WebhookEvent.SUBPOENA_SERVED,
}


def max_attempts() -> int:
    return int(getattr(settings, "HOLDTRACK_WEBHOOK_MAX_ATTEMPTS", 6))


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt ``attempts + 1``: base, 2×base, 4×base … (capped at six hours)."""
    base = float(getattr(settings, "HOLDTRACK_WEBHOOK_BACKOFF_SECONDS", 30))
    return float(min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def timeout_seconds() -> float:
    # Short: a slow or silent receiver must not hold a worker (a failed attempt is retried later).
    return float(getattr(settings, "HOLDTRACK_WEBHOOK_TIMEOUT_SECONDS", 5))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


# ------------------------------------------------------------------------------------------ recording


def on_steps(transitions: Sequence[Transition]) -> None:
    """Record the deliveries of each step once the transaction commits (nothing leaves if it rolls back)."""
    for t in transitions:
        event = EVENTS.get((t.case_type, t.name))
        if event is not None:
            pk = t.pk
            transaction.on_commit(partial(deliveries_record, pk, event), robust=True)


def register() -> None:
    on_step(on_steps, case_types={ct for ct, _ in EVENTS}, names={name for _, name in EVENTS})


def _payload(t: Transition, event: str) -> tuple[int | None, dict[str, Any]]:
    """The addressed LEA and the message. Ids and states only: the LEA system reads details through the API."""
    body: dict[str, Any] = {"event": event, "occurred_at": t.at.isoformat(), "transition": t.pk}
    if t.case_type == CaseType.DETAINER:
        d = Detainer.objects.select_related("addressed_lea", "booking", "facility").filter(pk=t.case_id).first()
        if d is None or d.transmitted_at is None:
            return None, body
        body["detainer"] = {
            "id": d.pk,
            "state": d.state,
            "form_type": d.form_type,
            "request_type": d.request_type,
            "agency_ori": d.addressed_lea.ori,
            "booking_number": d.booking.booking_number,
            "facility_code": d.facility.code,
            "lift_reason": d.lift_reason,
            "url": f"/api/v1/detainers/{d.pk}",
        }
        return d.addressed_lea_id, body
    s = Subpoena.objects.select_related("recipient_lea").filter(pk=t.case_id).first()
    if s is None:
        return None, body
    body["subpoena"] = {
        "id": s.pk,
        "state": s.state,
        "agency_ori": s.recipient_lea.ori,
        "served_at": s.served_at.isoformat() if s.served_at else None,
        "return_due_at": s.return_due_at.isoformat() if s.return_due_at else None,
        "url": f"/api/v1/subpoenas/{s.pk}",
    }
    return s.recipient_lea_id, body


def deliveries_record(transition_id: int, event: str) -> list[WebhookDelivery]:
    """One delivery per subscribed, active endpoint of the addressed LEA; queued for sending."""
    if not WebhookEndpoint.objects.filter(active=True).exists():
        return []  # the common case in bulk runs: nobody subscribed, nothing to look up
    t = Transition.objects.filter(pk=transition_id).first()
    if t is None:
        return []
    lea_id, body = _payload(t, event)
    if lea_id is None:
        return []
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(organization__lea_id=lea_id, active=True) if event in e.events
    ]
    created: list[WebhookDelivery] = []
    at = clock_now()
    for e in endpoints:
        d, new = WebhookDelivery.objects.get_or_create(
            endpoint=e,
            transition_id=t.pk,
            defaults={"event_type": event, "payload": body, "created_at": at, "next_attempt_at": at},
        )
        if new:
            created.append(d)
    for d in created:
        _enqueue(d.pk)
    return created


def _enqueue(delivery_id: int, delay: float | None = None) -> None:
    try:
        if delay:
            deliver_webhook.schedule(args=(delivery_id,), delay=delay)
        else:
            deliver_webhook(delivery_id)
    except Exception:  # the periodic sweep retries what could not be queued
        log.exception("could not queue webhook delivery %s", delivery_id)


# ------------------------------------------------------------------------------------------- delivery


def _lease(delivery_id: int, at: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        d = WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_id).first()
        if d is None or d.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return None
        if d.next_attempt_at is not None and d.next_attempt_at > at:
            return None  # not due, or another worker holds the lease
        d.next_attempt_at = at + timedelta(seconds=timeout_seconds() + 60)
        d.save(update_fields=["next_attempt_at"])
        return d


def _post(d: WebhookDelivery) -> tuple[int | None, str]:
    """One attempt: the URL is vetted again (DNS may point elsewhere now) and the vetted address connected to.

    Returns the status code and an error *class* for the log: never the answer's body or an exception text
    that could carry what an internal service said."""
    body = json.dumps({"delivery": d.pk, **d.payload}, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "holdtrack-webhooks/1",
        "X-Holdtrack-Event": d.event_type,
        "X-Holdtrack-Delivery": str(d.pk),
        "X-Holdtrack-Timestamp": timestamp,
        "X-Holdtrack-Signature": sign(d.endpoint.secret, timestamp, body),
    }
    try:
        target = targets.vet(d.endpoint.url)
    except targets.TargetRefused as exc:
        return None, f"TargetRefused ({exc.kind}): {exc.reason}"
    try:
        code = targets.post(target, body, headers, timeout_seconds())
    except TimeoutError:
        return None, "Timeout"
    except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, reset, TLS, bad status line …
        return None, type(exc).__name__
    if 300 <= code < 400:
        return code, f"HTTP {code} (redirects are not followed)"
    return code, "" if 200 <= code < 300 else f"HTTP {code}"


def webhook_attempt(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Send one attempt if due. Returns the delivery as stored afterwards (``None`` if nothing was due)."""
    at = now or clock_now()
    d = _lease(delivery_id, at)
    if d is None:
        return None
    started = time.monotonic()
    code, error = _post(d)
    ms = round((time.monotonic() - started) * 1000, 1)
    ok = code is not None and 200 <= code < 300
    with transaction.atomic():
        d = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        d.attempts += 1
        d.response_code = code
        entry: dict[str, Any] = {"attempt": d.attempts, "at": at.isoformat(), "status_code": code, "ms": ms}
        if error:
            entry["error"] = error[:300]
        if ok:
            d.status, d.delivered_at, d.next_attempt_at = DeliveryStatus.DELIVERED, at, None
        elif d.attempts >= max_attempts():
            d.status, d.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            wait = backoff_seconds(d.attempts)
            d.status, d.next_attempt_at = DeliveryStatus.RETRYING, at + timedelta(seconds=wait)
            entry["retry_in_s"] = wait
        d.log = [*d.log, entry]
        d.save()
    if d.status == DeliveryStatus.RETRYING and d.next_attempt_at is not None:
        transaction.on_commit(
            lambda: _enqueue(delivery_id, delay=max((d.next_attempt_at - at).total_seconds(), 1.0)),  # type: ignore[operator]
            robust=True,
        )
    return d


def webhook_retry_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Safety net for lost queue entries: attempt every delivery whose next attempt is overdue."""
    at = now or clock_now()
    due = list(
        WebhookDelivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING), next_attempt_at__lte=at
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if webhook_attempt(pk, now=at) is not None)


# ------------------------------------------------------------------------------------------- task queue
# The queue's entries live beside what they run: they were api/tasks.py, which imported this module while this
# module imported it back. A delivery queued under the old name before an upgrade is dropped with a log line;
# the periodic retry sends it (its row is still due).


@db_task()
def deliver_webhook(delivery_id: int) -> str | None:
    d = webhook_attempt(delivery_id)
    return d.status if d is not None else None


@db_periodic_task(crontab(minute="*/5"))
def webhook_retry_periodic() -> int:
    return webhook_retry_due()
