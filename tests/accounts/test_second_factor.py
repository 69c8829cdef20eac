"""Second factor, the real way: password sign-in → enrolment or verification with a TOTP code computed from the
device's key (no force_login here, so the conftest shortcut plays no part)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from holdtrack.accounts.models import Role
from holdtrack.accounts.otp import BACKUP_CODE_COUNT, second_factor_required
from holdtrack.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
DASHBOARD = "/"


def code_for(device: TOTPDevice) -> str:
    # The code an authenticator app shows now.
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def reset_throttle(device) -> None:
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


def sign_in(client, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def officer(world):
    return world.officer


@pytest.fixture
def enrolled(officer):
    device = TOTPDevice.objects.create(user=officer, name="Authenticator app", confirmed=True)
    return officer, device


def test_every_human_role_needs_a_second_factor_and_the_system_account_does_not():
    for role in Role:
        user = UserFactory.build(role=role)
        assert second_factor_required(user) is (role != Role.SYSTEM), role


def test_first_sign_in_leads_to_enrolment_with_a_local_qr_code_then_backup_codes(client, officer):
    sign_in(client, officer)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url == reverse("accounts:setup") + "?next=%2F"

    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in html  # rendered here, no external QR service
    assert re.search(r'<code id="totp-secret">[A-Z2-7]{32}</code>', html)
    # Reloading shows the same pending device, not a new secret each time.
    client.get(reverse("accounts:setup"))
    assert TOTPDevice.objects.filter(user=officer).count() == 1

    wrong = client.post(reverse("accounts:setup"), {"token": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "does not match" in wrong.content.decode()
    assert client.get(DASHBOARD).status_code == 302  # still not through
    reset_throttle(device)  # the wrong code started django-otp's back-off; this test is not about that

    done = client.post(reverse("accounts:setup"), {"token": code_for(device), "next": DASHBOARD})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == BACKUP_CODE_COUNT
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEvent.objects.filter(action="user.otp_enrol", actor=officer, actor_role=Role.AGENCY_OFFICER).exists()


@pytest.mark.smoke
def test_enrolled_user_signs_in_with_password_then_code_and_lands_on_the_page_asked_for(client, enrolled, desk_ids):
    user, device = enrolled
    target = reverse("desks:detainer", args=[desk_ids["detainer"]])
    sign_in(client, user)
    first = client.get(target)
    assert first.status_code == 302 and first.url.startswith(reverse("accounts:verify"))
    assert client.get(first.url).status_code == 200
    done = client.post(reverse("accounts:verify"), {"token": code_for(device), "next": target})
    assert done.status_code == 302 and done.url == target
    assert client.get(target).status_code == 200
    assert AuditEvent.objects.filter(action="user.login", actor=user).count() == 1
    event = AuditEvent.objects.get(action="user.otp_verify", actor=user)
    assert event.data == {"method": "totp"}


def test_a_code_is_accepted_once_and_a_wrong_code_says_so(client, enrolled):
    user, device = enrolled
    sign_in(client, user)
    bad = client.post(reverse("accounts:verify"), {"token": "12345x"})
    assert bad.status_code == 400
    assert "not valid" in bad.content.decode() and 'aria-invalid="true"' in bad.content.decode()
    assert AuditEvent.objects.filter(action="user.otp_verify_failed", actor=user).exists()
    reset_throttle(device)  # the failure above started the back-off; this test is about replay
    code = code_for(device)
    assert client.post(reverse("accounts:verify"), {"token": code}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, user)
    replay = client.post(reverse("accounts:verify"), {"token": code})
    assert replay.status_code == 400  # the same code cannot be used twice


def test_a_backup_code_works_once(client, enrolled):
    from holdtrack.accounts.otp import backup_codes_regenerate

    user, _ = enrolled
    codes = backup_codes_regenerate(actor=user)
    sign_in(client, user)
    assert client.post(reverse("accounts:verify"), {"token": codes[0].upper()}).status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    client.post(reverse("logout"))
    sign_in(client, user)
    assert client.post(reverse("accounts:verify"), {"token": codes[0]}).status_code == 400


def test_wrong_codes_slow_down_further_tries(client, enrolled):
    user, device = enrolled
    sign_in(client, user)
    wrong = "000001" if code_for(device) != "000001" else "000002"
    assert client.post(reverse("accounts:verify"), {"token": wrong}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1 and device.throttling_failure_timestamp is not None
    # After ten failures the wait is 2**9 seconds: even the right code is refused until it has passed.
    device.throttling_failure_count = 10
    device.save()
    assert client.post(reverse("accounts:verify"), {"token": code_for(device)}).status_code == 400
    assert client.get(DASHBOARD).status_code == 302


def test_an_unverified_session_reaches_only_the_account_pages_and_the_open_ones(client, enrolled, desk_ids):
    user, _ = enrolled
    sign_in(client, user)
    verify = reverse("accounts:verify")
    for url in (
        DASHBOARD,
        reverse("desks:detainer", args=[desk_ids["detainer"]]),
        reverse("reports:dashboard"),
        reverse("admin:index"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(verify), url
    assert client.get(verify).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.get(reverse("public:index")).status_code == 200
    # htmx requests are told to navigate the whole page.
    hx = client.get(DASHBOARD, headers={"HX-Request": "true"})
    assert hx.status_code == 204 and hx["HX-Redirect"].startswith(verify)
    # Adding another device is not a way around the one already set up.
    setup = client.get(reverse("accounts:setup"))
    assert setup.status_code == 302 and setup.url.startswith(verify)
    assert TOTPDevice.objects.filter(user=user).count() == 1
    # Sign-out works without the second factor.
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(DASHBOARD).url.startswith(reverse("login"))


def test_the_api_treats_a_half_signed_in_session_as_anonymous(rf, enrolled):
    from django.contrib.auth.models import AnonymousUser

    from holdtrack.accounts.middleware import SecondFactorRequiredMiddleware

    user, _ = enrolled
    seen = {}

    def view(request):
        seen["user"] = request.user
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/api/v1/detainers")
    user.is_verified = lambda: False  # what OTPMiddleware installs for a session without a device
    request.user = user
    response = SecondFactorRequiredMiddleware(view)(request)
    assert response.status_code == 200
    assert isinstance(seen["user"], AnonymousUser)


def test_next_cannot_lead_off_site(client, enrolled):
    user, device = enrolled
    sign_in(client, user)
    done = client.post(reverse("accounts:verify"), {"token": code_for(device), "next": "https://evil.example/"})
    assert done.status_code == 302 and done.url == reverse("desks:dashboard")


def test_a_verified_user_can_replace_backup_codes(client, enrolled):
    user, device = enrolled
    sign_in(client, user)
    client.post(reverse("accounts:verify"), {"token": code_for(device)})
    status = client.get(reverse("accounts:setup"))
    assert status.status_code == 200 and "Two-step sign-in is on" in status.content.decode()
    fresh = client.post(reverse("accounts:backup_codes"))
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", fresh.content.decode())
    assert len(codes) == BACKUP_CODE_COUNT
    assert StaticToken.objects.filter(device__user=user).count() == BACKUP_CODE_COUNT


def test_force_login_in_tests_stands_for_both_factors(client, world):
    client.force_login(world.booking_clerk)
    assert client.get(DASHBOARD).status_code == 200
