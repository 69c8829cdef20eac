"""The reads behind every signed-in page — the session, the user with its organization, the verified device — each
by a statement compiled once (``accounts.sessions``, ``accounts.backends``, ``accounts.middleware``), with the
checks of the Django and django-otp code they replace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from holdtrack.accounts.backends import AccountBackend
from holdtrack.accounts.middleware import VerifiedDeviceMiddleware
from holdtrack.accounts.models import User
from holdtrack.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_signed_in_user_comes_with_its_organization_and_an_inactive_one_not_at_all(
    world, django_assert_num_queries
):  # type: ignore[no-untyped-def]
    officer = world.officer
    user = AccountBackend().get_user(officer.pk)
    assert user is not None and user.pk == officer.pk
    with django_assert_num_queries(0):  # read with the user, as every access function asks for it
        assert user.organization.pk == officer.organization.pk
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert AccountBackend().get_user(officer.pk) is None
    assert AccountBackend().get_user(10**9) is None


def test_a_session_is_read_until_it_expires(world):  # type: ignore[no-untyped-def]
    saved = SessionStore()
    saved["note"] = "kept"
    saved.save()
    assert SessionStore(session_key=saved.session_key).load() == {"note": "kept"}
    Session.objects.filter(pk=saved.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(session_key=saved.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key is made on save, as the database backend does
    assert SessionStore(session_key="no-such-session-key-000000000000").load() == {}


def _verified(user: User, persistent_id: str) -> bool:
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session[DEVICE_ID_SESSION_KEY] = persistent_id
    request.user = user
    seen: dict[str, bool] = {}

    def view(req):  # type: ignore[no-untyped-def]
        seen["verified"] = req.user.is_verified()
        return HttpResponse()

    VerifiedDeviceMiddleware(view)(request)
    return seen["verified"]


def test_the_verified_device_must_be_the_users_own_confirmed_device(world):  # type: ignore[no-untyped-def]
    mine = TOTPDevice.objects.create(user=world.officer, name="mine", confirmed=True)
    theirs = TOTPDevice.objects.create(user=world.supervisor, name="theirs", confirmed=True)
    pending = TOTPDevice.objects.create(user=world.officer, name="pending", confirmed=False)
    assert _verified(world.officer, mine.persistent_id)
    assert not _verified(world.officer, theirs.persistent_id)
    assert not _verified(world.officer, pending.persistent_id)
    for broken in ("otp_totp.totpdevice/x", "no.model/1", "accounts.user/1", "garbage", "otp_totp.totpdevice/999999"):
        assert not _verified(world.officer, broken), broken
