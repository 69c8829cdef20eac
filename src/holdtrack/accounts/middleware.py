"""Second factor gate: a signed-in staff user without a verified device reaches only the account pages.

Installed after ``django_otp.middleware.OTPMiddleware`` (which sets ``request.user.is_verified()``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from holdtrack.accounts.otp import is_enrolled, second_factor_required
from holdtrack.core.rows import read_one


def _exempt_prefixes() -> tuple[str, ...]:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return (
        reverse("accounts:verify").rsplit("2fa/", 1)[0],  # /account/: enrolment, verification, lockout help
        reverse("logout"),
        reverse("login"),  # signing in again as someone else
        reverse("healthz"),
        static,
        "/public/",  # transparency pages are for everyone
    )


class VerifiedDeviceMiddleware(OTPMiddleware):
    """django-otp's middleware (``request.user.is_verified()``), with the session's verified device read by a
    statement compiled once per device model (``core.rows.read_one``) instead of compiled on every page (issue 12).
    The same rows and the same checks: a device of another user or unconfirmed counts for nothing."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        try:
            label, device_id = self._normalize_persistent_id(persistent_id).rsplit("/", 1)
            model = apps.get_model(label)
            pk = int(device_id)
        except (ValueError, LookupError):
            return None
        if not issubclass(model, Device):
            return None
        return read_one(("accounts.otp_device", label), lambda key: model.objects.filter(pk=key), pk)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not second_factor_required(user) or user.is_verified():  # type: ignore[union-attr]
            return self.get_response(request)
        path = request.path_info
        if path.startswith("/api/"):
            # The API authenticates system clients by token; a half-signed-in browser session counts for nothing.
            request.user = AnonymousUser()
            return self.get_response(request)
        if path.startswith(_exempt_prefixes()):
            return self.get_response(request)
        target = "accounts:verify" if is_enrolled(user) else "accounts:setup"  # type: ignore[arg-type]
        url = reverse(target)
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            # htmx follows a plain redirect inside the swapped element; ask it to navigate the page instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)


REFRESHED_KEY = "_holdtrack_refreshed"


class SessionRefreshMiddleware:
    """The idle timeout without a session write on every request (issue 12 item 2).

    Django's ``SESSION_SAVE_EVERY_REQUEST`` re-saves the session row on every page to move its expiry; this
    saves it only when the last save is ``HOLDTRACK_SESSION_REFRESH_SECONDS`` old (default 60 s), by touching a
    timestamp in the session, so an idle session still ends after between ``SESSION_COOKIE_AGE`` minus that and
    ``SESSION_COOKIE_AGE``. Installed right after ``SessionMiddleware`` (its response step runs first). A
    session the request never read (token API calls) or that holds nothing is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response  # not read (token API calls), or nothing to keep alive (signed out)
        now = int(time.time())
        # Saved anyway (sign-in, a message), or the last save is old: stamp it; marking it modified makes
        # SessionMiddleware save it with a new expiry.
        if session.modified or now - int(session.get(REFRESHED_KEY, 0)) >= settings.HOLDTRACK_SESSION_REFRESH_SECONDS:
            session[REFRESHED_KEY] = now
        return response
