"""Notifications: created once by the step handlers (kernel.dispatch) and by the periodic task, e-mailed once, marked read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from holdtrack.cases import clocks
from holdtrack.cases.models import CourtState
from holdtrack.cases.services import detainers as ds
from holdtrack.custody import services as cs
from holdtrack.custody.models import ClaimBasis
from holdtrack.desks.models import Notification, NotificationKind
from holdtrack.desks.tools import notifications as nt
from tests.factories import T0, World, hold_eligible, make_world, prepared, subpoena_to

pytestmark = pytest.mark.django_db


def _with_mail(w: World) -> World:
    for u in (w.officer, w.supervisor, w.agency_counsel, w.booking_clerk, w.lea_counsel, w.doj_attorney):
        u.email = f"{u.username}@example.test"
        u.save(update_fields=["email"])
    return w


@pytest.fixture
def worlds(db):
    return _with_mail(make_world()), _with_mail(make_world(suffix=" 2"))


def _recipients(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


@pytest.mark.smoke
def test_transmitted_detainer_notifies_the_addressed_lea_once(worlds, django_capture_on_commit_callbacks):
    w, other = worlds
    d = prepared(w)
    ds.detainer_approve(actor=w.supervisor, detainer=d, at=T0 + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        ds.detainer_transmit(actor=w.officer, detainer=d, at=T0 + timedelta(minutes=11))
    assert _recipients(NotificationKind.NEW_DETAINER) == {w.booking_clerk.pk, w.lea_counsel.pk}
    n = Notification.objects.filter(kind=NotificationKind.NEW_DETAINER).first()
    assert n is not None and n.link == f"/detainers/{d.pk}/"
    assert d.subject.last_name not in n.title + n.body  # no personal data in notifications
    # E-mailed after commit, once per recipient.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([w.booking_clerk.email, w.lea_counsel.email])
    assert all(n.emailed_at for n in Notification.objects.all())
    # Re-running the handler (a retried signal) creates and sends nothing new.
    nt.on_detainer_transmitted(d.pk, T0)
    assert nt.notifications_email_pending() == 0
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2
    assert not Notification.objects.filter(recipient__in=[other.booking_clerk, other.lea_counsel]).exists()


def test_citizenship_claim_notifies_both_parties(worlds, django_capture_on_commit_callbacks):
    w, other = worlds
    d = hold_eligible(w)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        cs.citizenship_claim_open(
            actor=w.booking_clerk, subject=d.subject, basis=ClaimBasis.ASSERTED, at=T0 + timedelta(hours=2)
        )
    assert _recipients(NotificationKind.CITIZENSHIP_CLAIM) == {
        w.officer.pk,
        w.supervisor.pk,
        w.agency_counsel.pk,
        other.officer.pk,
        other.supervisor.pk,
        other.agency_counsel.pk,  # same area of responsibility: the office sees the case
        w.booking_clerk.pk,
        w.lea_counsel.pk,
    }
    assert not _recipients(NotificationKind.CITIZENSHIP_CLAIM) & {other.booking_clerk.pk, other.lea_counsel.pk}
    assert len(mail.outbox) == 8


def _hold(w: World):
    d = hold_eligible(w)
    eligible = T0 + timedelta(days=1)
    cs.booking_record_release_eligibility(actor=w.booking_clerk, booking=d.booking, at=eligible, reason="BOND_POSTED")
    d.refresh_from_db()
    assert d.hold_expires_at == eligible + timedelta(hours=48)
    return d


def test_hold_ending_within_n_hours_is_idempotent(worlds, settings):
    w, _other = worlds
    d = _hold(w)
    Notification.objects.all().delete()
    end = d.hold_expires_at
    assert nt.notify_deadlines(end - timedelta(hours=7))["hold_ending"] == 0
    counts = nt.notify_deadlines(end - timedelta(hours=5))
    expected = {
        w.booking_clerk.pk,
        w.lea_counsel.pk,
        w.officer.pk,
        w.supervisor.pk,
        _other.officer.pk,
        _other.supervisor.pk,
    }  # the other office covers the same area of responsibility
    assert _recipients(NotificationKind.HOLD_ENDING) == expected
    assert counts["hold_ending"] == counts["emailed"] == len(expected)
    for hours in (4, 1):
        again = nt.notify_deadlines(end - timedelta(hours=hours))
        assert again["hold_ending"] == 0 and again["emailed"] == 0
    assert Notification.objects.count() == len(expected)
    assert len(mail.outbox) == len(expected)
    assert not _recipients(NotificationKind.HOLD_ENDING) & {_other.booking_clerk.pk, _other.lea_counsel.pk}
    # After the ceiling nothing more is said.
    assert nt.notify_deadlines(end + timedelta(minutes=1))["hold_ending"] == 0


def test_hold_hours_setting(worlds, settings):
    w, _ = worlds
    d = _hold(w)
    settings.HOLDTRACK_NOTIFY_HOLD_HOURS = 12
    assert nt.notify_deadlines(d.hold_expires_at - timedelta(hours=11))["hold_ending"] > 0


def test_subpoena_return_reminders_at_t5_t2_t0(worlds):
    w, _ = worlds
    s = subpoena_to(w, stage="served", subject=prepared(w).subject)
    (clock,) = clocks.subpoena_clocks(s)
    due = clock.due_at
    Notification.objects.all().delete()
    assert nt.notify_deadlines(due - timedelta(days=6))["subpoena_return"] == 0
    sent = []
    for at in (
        due - timedelta(days=5),
        due - timedelta(days=4),
        due - timedelta(days=2),
        due - timedelta(days=1),
        due - timedelta(hours=1),
        due - timedelta(minutes=5),
        due + timedelta(hours=1),
    ):
        sent.append(nt.notify_deadlines(at)["subpoena_return"])
    # LEA counsel, agency officer and supervisor of both offices in the area: 3 + 2 = 5 per reminder.
    per = len(_recipients(NotificationKind.SUBPOENA_RETURN))
    assert sent == [per, 0, per, 0, per, 0, 0]
    assert w.lea_counsel.pk in _recipients(NotificationKind.SUBPOENA_RETURN)
    keys = sorted({k.split(":")[3] for k in Notification.objects.values_list("dedupe_key", flat=True)})
    assert keys == ["T-0", "T-2", "T-5"]


def test_missed_runs_send_only_the_latest_reminder(worlds):
    w, _ = worlds
    s = subpoena_to(w, stage="served", subject=prepared(w).subject)
    (clock,) = clocks.subpoena_clocks(s)
    Notification.objects.all().delete()
    nt.notify_deadlines(clock.due_at - timedelta(days=1))
    assert {k.split(":")[3] for k in Notification.objects.values_list("dedupe_key", flat=True)} == {"T-2"}


def test_court_comply_by_reminders(worlds):
    w, _ = worlds
    s = subpoena_to(w, stage="enforced", subject=prepared(w).subject)
    case = s.referral.court_case
    case.refresh_from_db()
    assert case.state == CourtState.ENFORCED
    (clock,) = clocks.court_clocks(case)
    Notification.objects.all().delete()
    assert nt.notify_deadlines(clock.due_at - timedelta(days=2))["comply_by"] > 0
    got = _recipients(NotificationKind.COMPLY_BY)
    assert {w.lea_counsel.pk, w.doj_attorney.pk, w.agency_counsel.pk, w.supervisor.pk} <= got
    assert w.booking_clerk.pk not in got
    assert nt.notify_deadlines(clock.due_at - timedelta(days=2))["comply_by"] == 0


def test_list_and_mark_read(client, worlds):
    w, _other = worlds
    d = _hold(w)
    nt.notify_deadlines(d.hold_expires_at - timedelta(hours=1))
    mine = Notification.objects.get(recipient=w.booking_clerk, kind=NotificationKind.HOLD_ENDING)
    theirs = Notification.objects.filter(recipient=w.officer).first()
    assert theirs is not None
    client.force_login(w.booking_clerk)
    page = client.get(reverse("tools:notifications"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-notification="{mine.pk}"' in html and f'data-notification="{theirs.pk}"' not in html
    assert client.get(reverse("tools:notification_read", args=[mine.pk])).status_code == 405  # POST only
    assert client.post(reverse("tools:notification_read", args=[theirs.pk])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None  # another user's notification is untouched
    client.post(reverse("tools:notification_read", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert f'data-notification="{mine.pk}"' not in client.get(reverse("tools:notifications")).content.decode()
    assert (
        f'data-notification="{mine.pk}"'
        in client.get(reverse("tools:notifications"), {"show": "read"}).content.decode()
    )
    client.force_login(w.officer)
    client.post(reverse("tools:notifications_read_all"))
    assert not Notification.objects.filter(recipient=w.officer, read_at__isnull=True).exists()


def test_mark_read_requires_csrf(worlds):
    from django.test import Client

    w, _ = worlds
    d = _hold(w)
    nt.notify_deadlines(d.hold_expires_at - timedelta(hours=1))
    n = Notification.objects.get(recipient=w.booking_clerk, kind=NotificationKind.HOLD_ENDING)
    c = Client(enforce_csrf_checks=True)
    c.force_login(w.booking_clerk)
    assert c.post(reverse("tools:notification_read", args=[n.pk])).status_code == 403
    n.refresh_from_db()
    assert n.read_at is None


def test_unread_count_context_processor(worlds):
    w, _ = worlds
    d = _hold(w)
    Notification.objects.all().delete()
    nt.notify_deadlines(d.hold_expires_at - timedelta(hours=1))
    request = RequestFactory().get("/")
    request.user = w.booking_clerk
    assert nt.unread_count(request) == {"unread_notifications": 1}
    nt.notification_mark_read(actor=w.booking_clerk)
    assert nt.unread_count(request) == {"unread_notifications": 0}


def test_periodic_task_is_registered_for_the_worker(worlds):
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    from holdtrack.desks.tasks import notify_deadlines_periodic

    autodiscover_modules("tasks")
    assert any(t.__name__ == "notify_deadlines_periodic" for t in HUEY._registry._periodic_tasks)
    assert set(notify_deadlines_periodic.call_local()) == {"hold_ending", "subpoena_return", "comply_by", "emailed"}
