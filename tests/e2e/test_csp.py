"""No Content-Security-Policy violation on any page of the axe list (issue 14).

The axe test bypasses the policy (axe is injected as an inline script); this one keeps it and listens on every
page for the browser's ``securitypolicyviolation`` events and its console reports of refused inline style or
script, with the action panels opened and the charts drawn.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Sessions
from tests.e2e.test_accessibility import PAGES, Scene, _who, build_scene

pytestmark = pytest.mark.e2e

# Collects violations reported to the page from the start of each document (before any of its scripts run).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' +
    (e.sourceFile || '') + ':' + e.lineNumber + ' ' + (e.sample || ''));
});
"""


def _watch(page: Any, console: list[str]) -> None:
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )


def _violations(page: Any, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url} answered {response and response.status}"
    page.evaluate("document.querySelectorAll('details').forEach(function (d) { d.open = true; })")
    # Charts and other late scripts: wait until every chart is drawn (or failed), then for pending events. Polled
    # with evaluate (which the page's policy does not govern): wait_for_function compiles its predicate in the
    # page when it has to poll, which the policy refuses (unsafe-eval) — on a loaded machine, where charts are slow.
    drawn = (
        "Array.from(document.querySelectorAll('[data-vega-spec]')).every("
        "  e => e.hasAttribute('data-rendered') || e.classList.contains('chart--failed'))"
    )
    for _ in range(600):  # 30 s
        if page.evaluate(drawn):
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError(f"{url}: the charts were not drawn in 30 s")
    page.wait_for_timeout(200)
    return list(page.evaluate("window.__csp || []"))


def test_no_page_of_the_axe_list_violates_the_content_security_policy(sessions: Sessions) -> None:
    scene: Scene = build_scene()
    console: list[str] = []
    watched: set[int] = set()
    failures: list[str] = []
    for name, who, url_of in PAGES:
        page = sessions.anonymous() if who is None else sessions.page_for(_who(scene, who))
        if id(page) not in watched:
            _watch(page, console)
            watched.add(id(page))
        before = len(console)
        found = _violations(page, url_of(scene))
        found += console[before:]
        if found:
            failures.append(f"{name} ({url_of(scene)}):\n  " + "\n  ".join(dict.fromkeys(found)))
    assert not failures, "Content-Security-Policy violations:\n\n" + "\n\n".join(failures)


def test_the_csp_watch_reports_an_inline_style(sessions: Sessions) -> None:
    """The check above can fail: a style attribute added by markup is refused and reported."""
    page = sessions.anonymous()
    console: list[str] = []
    _watch(page, console)
    page.goto("/login/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(200)
    found = list(page.evaluate("window.__csp")) + console
    assert found and any("style-src" in f for f in found), found
