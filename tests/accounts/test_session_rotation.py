"""The session key changes at every privilege step (password, second factor), and a key seen before a step
no longer authenticates after it: a fixed or sniffed pre-login cookie never becomes a signed-in session."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_second_factor import PASSWORD, code_for

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


def _key(client: Client) -> str:
    return client.cookies[COOKIE].value


def _with_key(key: str) -> Client:
    other = Client()
    other.cookies[COOKIE] = key
    return other


def test_password_step_rotates_the_key(client, world):
    officer = world.officer
    officer.set_password(PASSWORD)
    officer.save()
    session = client.session  # an anonymous session that exists before sign-in (as an attacker could plant)
    session["planted"] = True
    session.save()
    client.cookies[COOKIE] = session.session_key
    before = _key(client)
    assert client.post(reverse("login"), {"username": officer.username, "password": PASSWORD}).status_code == 302
    after = _key(client)
    assert after != before
    # The planted key is not the signed-in session: it is sent to sign in.
    response = _with_key(before).get(reverse("accounts:verify"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("step", ["verify", "setup"])
def test_second_factor_step_rotates_the_key_and_the_old_key_stops_working(client, world, step):
    officer = world.officer
    officer.set_password(PASSWORD)
    officer.save()
    if step == "verify":
        device = TOTPDevice.objects.create(user=officer, name="Authenticator app", confirmed=True)
    assert client.post(reverse("login"), {"username": officer.username, "password": PASSWORD}).status_code == 302
    if step == "setup":
        client.get(reverse("accounts:setup"))
        device = TOTPDevice.objects.get(user=officer, confirmed=False)
    half = _key(client)
    assert client.get("/").status_code == 302  # half signed in: sent to the second factor
    response = client.post(reverse(f"accounts:{step}"), {"token": code_for(device)})
    assert response.status_code in (200, 302), response.content.decode()[:300]
    full = _key(client)
    assert full != half
    assert client.get("/").status_code == 200  # the new key is fully signed in
    # The key from before the second factor is gone: no dashboard, back to sign-in.
    stale = _with_key(half).get("/")
    assert stale.status_code == 302 and stale.url.startswith(reverse("login"))
