"""Passwords, sessions, headers and the production configuration."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

import holdtrack

pytestmark = pytest.mark.django_db

TEMPLATE_ROOT = Path(holdtrack.__file__).parent


def test_passwords_are_hashed_with_argon2(world):
    user = world.officer
    user.set_password("correct horse battery staple")
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("correct horse battery staple")


def test_a_session_idle_for_the_timeout_is_over_and_each_request_extends_it(client, world):
    assert settings.HOLDTRACK_SESSION_IDLE_MINUTES == 15
    assert settings.SESSION_COOKIE_AGE == 15 * 60 and settings.HOLDTRACK_SESSION_REFRESH_SECONDS == 60
    client.force_login(world.officer)
    assert client.get("/").status_code == 200
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=14) < expiry - timezone.now() <= timedelta(minutes=15)
    # Fifteen idle minutes later the stored session has expired (moved back instead of waiting).
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def _session_writes(client, path: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    writes = [q for q in ctx.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"][:8]]
    return status, len(writes)


def test_a_page_saves_the_session_only_when_its_last_save_is_a_minute_old(client, world):
    """Issue 12 item 2: no session write on every page; the expiry still moves once the refresh interval passed."""
    from holdtrack.accounts.middleware import REFRESHED_KEY

    assert not settings.SESSION_SAVE_EVERY_REQUEST
    client.force_login(world.officer)
    assert client.get("/").status_code == 200  # stamps the session after the sign-in
    key = client.session.session_key
    assert [_session_writes(client, "/") for _ in range(3)] == [(200, 0)] * 3
    # The last save a minute ago (and the stored expiry as it would be by then): the next page moves it forward.
    session = client.session
    session[REFRESHED_KEY] = int(session[REFRESHED_KEY]) - 60
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=14))
    assert _session_writes(client, "/") == (200, 1)
    expiry = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=14, seconds=50) < expiry - timezone.now() <= timedelta(minutes=15)
    assert _session_writes(client, "/") == (200, 0)


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = dict([*part.strip().split(" ", 1), ""][:2] for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_nonce_reaches_templates_and_the_header(rf):
    from django.template import engines

    from holdtrack.config.wsgi import application  # noqa: F401  (settings loaded, middleware order real)

    template = engines["django"].from_string('<script nonce="{{ CSP_NONCE }}">1</script>')
    from django.test import Client

    client = Client()
    # Render through the real middleware stack: any view that uses the nonce gets it in the header.
    response = client.get(reverse("login"))
    assert "nonce-" not in response["Content-Security-Policy"]  # unused nonce is not advertised
    request = rf.get("/")
    from csp.middleware import CSPMiddleware

    mw = CSPMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    mw.process_request(request)
    html = template.render({}, request)
    nonce = re.search(r'nonce="([^"]+)"', html).group(1)
    from django.http import HttpResponse

    header = mw.process_response(request, HttpResponse(html))["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" in header


# Templates rendered as site pages must not need inline script or style (CSP blocks them). Not site pages:
# generated legal documents (documents/*.html outside documents/web/), rendered to PDF or served with their own
# self-contained policy, and print layouts (*_print.html) rendered to PDF.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>")
INLINE_HANDLER = re.compile(r"\son[a-z]+=\"", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle=\"")
STYLE_BLOCK = re.compile(r"<style[\s>]")
DJANGO_COMMENT = re.compile(r"\{#.*?#\}")


def _site_templates() -> list[Path]:
    out = []
    for path in sorted(TEMPLATE_ROOT.glob("*/templates/**/*.html")):
        rel = path.relative_to(TEMPLATE_ROOT).as_posix()
        if rel.startswith("documents/templates/documents/") and "/web/" not in rel:
            continue
        if rel.endswith("_print.html"):
            continue
        out.append(path)
    return out


def test_site_templates_have_no_inline_script_or_style():
    problems = []
    for path in _site_templates():
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = DJANGO_COMMENT.sub("", raw)  # {# … #} never reaches the browser
            for pattern, what in (
                (INLINE_SCRIPT, "inline <script> without nonce"),
                (INLINE_HANDLER, "inline event handler"),
                (STYLE_ATTR, "style= attribute"),
                (STYLE_BLOCK, "<style> block"),
            ):
                if pattern.search(line):
                    problems.append(f"{path.relative_to(TEMPLATE_ROOT)}:{lineno}: {what} (blocked by the CSP)")
    assert not problems, 'Move these to static files (or use nonce="{{ CSP_NONCE }}"):\n' + "\n".join(problems)


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "HOLDTRACK_PRODUCTION": "1",
        "HOLDTRACK_SECRET_KEY": secrets.token_urlsafe(60),
        "HOLDTRACK_ALLOWED_HOSTS": "holdtrack.example.gov",
        "HOLDTRACK_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "holdtrack.config.settings",
    }
    env.pop("HOLDTRACK_DEBUG", None)
    # The browser tests relax Django's async guard for their own process; a deployment never does (async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {
        **os.environ,
        "HOLDTRACK_PRODUCTION": "1",
        "HOLDTRACK_SECRET_KEY": "",
        "HOLDTRACK_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "holdtrack.config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "HOLDTRACK_SECRET_KEY must be set in production" in result.stderr
