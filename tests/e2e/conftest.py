"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

One browser per session; one browser context per signed-in user (each user signs in once through the login
form and, when the second factor is active, the verification form with a code computed from the device key).
Skipped with a clear message when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e correct horse battery staple"
# Git-ignored (/test-artifacts/ in .gitignore); kept by CI as test artifacts.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test itself (set-up data,
# assertions) are still plain synchronous calls, so Django's async-safety guard is relaxed for these tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _totp_token(device: Any) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


class Sessions:
    """Signed-in browser pages, one per user, created on first use."""

    def __init__(self, browser: Any, base_url: str, *, bypass_csp: bool = False) -> None:
        self.browser = browser
        self.base_url = base_url
        # Only the accessibility test bypasses the Content-Security-Policy: axe is injected as an inline script.
        self.bypass_csp = bypass_csp
        self.pages: dict[int, Any] = {}
        self.contexts: list[Any] = []

    def page_for(self, user: Any) -> Any:
        if user.pk in self.pages:
            return self.pages[user.pk]
        page = self.anonymous()
        sign_in(page, user)
        self.pages[user.pk] = page
        return page

    def anonymous(self) -> Any:
        """A fresh page in its own context (nobody signed in)."""
        context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1280, "height": 900}, bypass_csp=self.bypass_csp
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def prepare_account(user: Any) -> None:
    """A password, and (when the second factor is installed) a confirmed authenticator device."""
    user.set_password(PASSWORD)
    user.save()
    try:
        from django_otp.plugins.otp_totp.models import TOTPDevice
    except ImportError:  # pragma: no cover - the second factor is not installed
        return
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(page: Any, user: Any) -> None:
    prepare_account(user)
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.usa-form button[type=submit]")
    page.wait_for_load_state()
    if "/account/2fa/verify/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.fill("#id_token", _totp_token(device))
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    assert "/login/" not in page.url and "/2fa/" not in page.url, f"sign-in failed for {user.username}: {page.url}"


@pytest.fixture
def sessions(browser: Any, live_server: Any, transactional_db: Any) -> Iterator[Sessions]:
    s = Sessions(browser, live_server.url)
    yield s
    s.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _click_label(panel: Any, name: str, value: str) -> None:
    field_id = panel.locator(f"input[name={name}][value='{value}']").get_attribute("id")
    panel.locator(f"label[for='{field_id}']").click()


def act(page: Any, key: str, fields: dict[str, Any] | None = None, *, expect: str = "usa-alert--success") -> None:
    """Open the action panel ``key`` on a case page, fill its fields and submit it.

    ``fields`` maps a field name to a value: str for inputs, selects and textareas; a list of values for
    checkboxes; ``("radio", value)`` for a radio group."""
    # A queue link's click returns once the navigation commits, before the page has parsed: wait for it.
    page.wait_for_load_state()
    panel = page.locator(f"#action-{key}")
    assert panel.count() == 1, f"action {key!r} is not offered on {page.url}"
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in (fields or {}).items():
        field_id = f"#id_{key}_{name}"
        # USWDS hides the native radio and checkbox inputs and draws them in the label: click the label.
        if isinstance(value, tuple) and value[0] == "radio":
            _click_label(panel, name, value[1])
        elif isinstance(value, list):
            for v in value:
                _click_label(panel, name, v)
        elif panel.locator(f"select{field_id}").count():
            panel.locator(field_id).select_option(value)
        else:
            panel.locator(field_id).fill(str(value))
    panel.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f".{expect}").count() >= 1, page.locator("main").inner_text()[:2000]
