"""Webhook delivery through the task queue as configured: SqliteHuey in the embedded default, RedisHuey when
``REDIS_URL`` is set (the Redis lane of ``make test`` runs this file against a real redis-server)."""

from __future__ import annotations

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from holdtrack.api.models import WebhookDelivery
from holdtrack.api.webhooks import deliver_webhook
from holdtrack.cases.services import detainers as ds
from holdtrack.core.worker import queue_status
from tests.api.test_webhooks import receiver, subscribe  # noqa: F401 - the fixture is used by name
from tests.factories import prepared
from tests.queue import take_queued

# Transactional: the task closes the database connection before and after it runs, as in a worker process,
# which a test wrapped in one transaction cannot survive on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_queue_is_the_one_the_settings_name():
    expected = "RedisHuey" if settings.REDIS_URL else "SqliteHuey"
    assert type(HUEY).__name__ == expected
    assert queue_status() == {"ok": True, "backend": expected, "pending": HUEY.pending_count(), "immediate": False}


def test_a_delivery_waits_in_the_queue_until_a_worker_runs_it(world, receiver):  # noqa: F811
    assert HUEY.immediate is False
    subscribe(world, receiver, ["detainer.transmitted"])
    d = prepared(world)
    ds.detainer_approve(actor=world.supervisor, detainer=d)
    ds.detainer_transmit(actor=world.officer, detainer=d)  # committed: the delivery is recorded and queued
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "PENDING" and receiver.requests == []
    # What the worker does: take the task from the broker and run it.
    task = take_queued(deliver_webhook, (delivery.pk,))
    assert task is not None, "the delivery task is not in the queue"
    assert HUEY.execute(task) == "DELIVERED"
    assert HUEY.result(task.id) == "DELIVERED"  # read from the broker's result store, which removes it
    delivery.refresh_from_db()
    assert delivery.status == "DELIVERED" and delivery.attempts == 1 and len(receiver.requests) == 1
    assert take_queued(deliver_webhook, (delivery.pk,)) is None
