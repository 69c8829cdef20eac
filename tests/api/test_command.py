"""``holdtrack api-client``: create prints the token once; list never shows it."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from holdtrack.api.models import ApiClient

pytestmark = pytest.mark.django_db


def test_create_list_deactivate(world):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api-client",
        "create",
        "--org",
        world.lea.ori,
        "--name",
        "jail",
        "--scopes",
        "bookings:write,bookings:read",
        stdout=out,
        stderr=err,
    )
    token = out.getvalue().strip()
    assert token.startswith("ht1_") and "LEA_BOOKING" in err.getvalue()
    c = ApiClient.objects.get()
    assert c.scopes == ["bookings:read", "bookings:write"] and c.organization == world.lea_org
    assert Client().get("/api/v1/bookings", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    listing = io.StringIO()
    call_command("api-client", "list", stdout=listing)
    assert "jail" in listing.getvalue() and token not in listing.getvalue()
    call_command("api-client", "deactivate", str(c.pk), stdout=io.StringIO())
    assert Client().get("/api/v1/bookings", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_create_refuses_bad_scope_and_unknown_org(world):
    with pytest.raises(CommandError, match="may not hold"):
        call_command(
            "api-client",
            "create",
            "--org",
            world.lea.ori,
            "--name",
            "x",
            "--scopes",
            "matches:write",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    with pytest.raises(CommandError, match="no organization"):
        call_command(
            "api-client", "create", "--org", "ZZ9999999", "--name", "x", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert not ApiClient.objects.exists()


def test_default_scopes_fit_the_organization(world):
    out = io.StringIO()
    call_command(
        "api-client", "create", "--org", str(world.office.pk), "--name", "case system", stdout=out, stderr=io.StringIO()
    )
    c = ApiClient.objects.get()
    assert "matches:write" in c.scopes and "bookings:write" not in c.scopes and c.user.role == "AGENCY_OFFICER"
