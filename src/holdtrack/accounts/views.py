"""Account pages: second-factor enrolment and verification, backup codes, sign-in with lockout.

The logic lives in :mod:`holdtrack.accounts.otp`; these views only move forms in and out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from holdtrack.accounts import otp
from holdtrack.accounts.forms import TokenForm
from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's sign-in (its form passes the request to ``authenticate``, which django-axes needs)."""

    template_name = "desks/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        audit_record(actor=user, action="user.login", entity_type="user", entity_id=user.pk)
        return response


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: QR code and secret, then one code from the app to confirm."""
    user = _user(request)
    next_url = _next_url(request)
    if otp.is_enrolled(user):
        if user.is_verified():  # type: ignore[attr-defined]
            return render(request, "accounts/status.html", _status_context(user))
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url})}")
    device = otp.totp_enrolment_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp.totp_confirm(request=request, user=user, device=device, token=form.cleaned_data["token"])
        if codes is not None:
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": next_url, "fresh": True})
        form.add_error("token", "That code does not match. Check the time on your device and enter the newest code.")
    context = {
        "form": form,
        "next": next_url,
        "secret": otp.totp_secret_base32(device),
        "qr": otp.qr_data_uri(device.config_url),
        "config_url": device.config_url,
    }
    return render(request, "accounts/setup.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a code from the app or a backup code."""
    user = _user(request)
    next_url = _next_url(request)
    if not otp.is_enrolled(user):
        return redirect(f"{reverse('accounts:setup')}?{urlencode({'next': next_url})}")
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.second_factor_verify(request=request, user=user, token=form.cleaned_data["token"]):
            return HttpResponseRedirect(next_url)
        form.add_error(
            "token",
            "That code is not valid. Enter the newest code from your authenticator app, or an unused backup code. "
            "After several wrong codes, each further try must wait longer.",
        )
    return render(request, "accounts/verify.html", {"form": form, "next": next_url}, status=400 if form.errors else 200)


@require_POST
@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """A fresh set of backup codes (only for a session verified with the second factor)."""
    user = _user(request)
    if not user.is_verified():  # type: ignore[attr-defined]
        return redirect(reverse("accounts:verify"))
    codes = otp.backup_codes_regenerate(actor=user)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": reverse(settings.LOGIN_REDIRECT_URL)})


def _status_context(user: User) -> dict[str, Any]:
    return {"backup_codes_left": otp.backup_codes_left(user)}


def lockout(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """Shown by django-axes (``AXES_LOCKOUT_CALLABLE``, HTTP 429) when sign-in is locked after repeated failures."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )
