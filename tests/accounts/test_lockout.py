"""Lockout after repeated failed sign-ins (django-axes): HTTP 429 with a clear page, per username and address."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def officer(world):
    world.officer.set_password(PASSWORD)
    world.officer.save()
    return world.officer


def attempt(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_for_fifteen_minutes_with_http_429(client, officer):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, officer.username, "wrong password here")
        assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    locked = attempt(client, officer.username, "wrong password here")
    assert locked.status_code == 429
    # Now even the right password is refused, with a page that says why and for how long.
    response = attempt(client, officer.username, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in html and "15 minutes" in html and "After 5 failed attempts" in html
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username=officer.username).failures_since_start >= 5


def test_the_lock_is_per_username_and_address(client, officer, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, officer.username, "wrong password here")
    # Another address may still sign in as the same user; the same address may sign in as someone else.
    assert attempt(client, officer.username, PASSWORD, ip="10.0.0.2").status_code == 302
    client.post(reverse("logout"))
    other = world.supervisor
    other.set_password(PASSWORD)
    other.save()
    assert attempt(client, other.username, PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client, officer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, officer.username, "wrong password here")
    assert attempt(client, officer.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, officer.username, "wrong password here")
    assert attempt(client, officer.username, PASSWORD).status_code == 302


def test_client_login_in_tests_passes_the_request_axes_needs(client, officer):
    assert client.login(username=officer.username, password=PASSWORD)
    assert client.get("/").status_code == 200
    assert not client.login(username=officer.username, password="wrong password here")
