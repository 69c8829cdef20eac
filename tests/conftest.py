from pathlib import Path

import pytest


def pytest_configure(config):
    # Hypothesis keeps its example database in ./.hypothesis by default: put it in the var dir instead, which
    # `make test` points at a temporary folder, so that no lane writes into the checkout.
    from django.conf import settings
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(Path(settings.VAR_DIR) / "hypothesis")


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    # Documents written during a test go to a throw-away folder.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "docs")},
        },
    }


@pytest.fixture
def world(db):
    from tests.factories import make_world

    return make_world()


@pytest.fixture(autouse=True)
def _signed_in_means_both_factors(monkeypatch):
    """``client.force_login`` / ``client.login`` in tests stand for a completed sign-in, second factor included.

    force_login skips the password check, so it skips the second factor too: staff users get a confirmed
    TOTP device and the session is marked verified the way django-otp marks it after a real code (the device's
    persistent id under ``DEVICE_ID_SESSION_KEY``). ``client.login`` passes a request to ``authenticate`` as
    django-axes requires. The real two-step flow is tested in tests/accounts/test_second_factor.py."""
    from django.contrib.auth import authenticate
    from django.http import HttpRequest
    from django.test import Client

    original_force_login = Client.force_login

    def _mark_verified(client, user):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from holdtrack.accounts.otp import second_factor_required

        if not second_factor_required(user):
            return
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test sign-in", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    def force_login(self, user, backend=None):
        original_force_login(self, user, backend)
        _mark_verified(self, user)

    def login(self, **credentials):
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        user = authenticate(request=request, **credentials)
        if user is None:
            return False
        self._login(user)
        _mark_verified(self, user)
        return True

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "login", login)
