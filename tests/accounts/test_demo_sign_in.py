"""The demo stays usable with the second factor: each demo user gets an authenticator key, and
``holdtrack otp_code USER`` prints the current code (never in production, never for non-demo users)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from holdtrack.accounts.models import User
from holdtrack.console.management.commands.demo import DEMO_PASSWORD, create_demo_users

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_demo_users_sign_in_with_the_password_and_the_printed_code(client, world):
    rows = create_demo_users()
    assert {r[0] for r in rows} >= {"officer", "lea-booking", "analyst", "auditor", "admin"}
    officer_key = next(r[3] for r in rows if r[0] == "officer")
    assert len(officer_key) == 32
    # Re-running keeps the same key (the user's authenticator app keeps working).
    assert next(r[3] for r in create_demo_users() if r[0] == "officer") == officer_key
    assert TOTPDevice.objects.filter(user__username="officer").count() == 1

    out = io.StringIO()
    call_command("otp_code", "officer", stdout=out)
    code = out.getvalue().strip()
    assert code.isdigit() and len(code) == 6

    response = client.post(reverse("login"), {"username": "officer", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").url.startswith(reverse("accounts:verify"))
    assert client.post(reverse("accounts:verify"), {"token": code}).status_code == 302
    assert client.get("/").status_code == 200


def test_otp_code_refuses_production_and_users_the_demo_did_not_make(settings, world):
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("otp_code", world.officer.username)
    create_demo_users()
    settings.HOLDTRACK_PRODUCTION = True
    with pytest.raises(CommandError, match="never available in production"):
        call_command("otp_code", "officer")
    assert User.objects.filter(username="officer").exists()
