"""The WSGI application: Django's handler, and a second one with a short middleware list for token API calls.

A call to ``/api/`` with ``Authorization: Bearer …`` and no cookie has no session, no signed-in user, no form,
no message and no page: eleven of the thirteen middlewares of ``MIDDLEWARE`` only look and pass it on, and
on the API read by id they cost about a sixth of its Python time (ADR 0047, docs/benchmarks.md). Such a call
goes through ``TOKEN_CALL_MIDDLEWARE`` instead: the security headers, the input check, and
``TokenCallMiddleware``, which leaves on the request and the response what the long list would have left on
such a call. ``tests/core/test_handlers.py`` sends the same calls through both handlers and compares them.

Everything else (pages, the API docs, a browser's session calls to the API, and a token call that also carries
a cookie) takes the full list, so the session, CSRF and second-factor checks of those stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"
# Pages under /api/: the interactive docs render HTML with the CSP nonce of the full list.
PAGES = ("/api/v1/docs",)


def is_token_call(environ: dict[str, Any]) -> bool:
    path = environ.get("PATH_INFO", "")
    return (
        path.startswith(API_PREFIX)
        and not path.startswith(PAGES)
        and not environ.get("HTTP_COOKIE")
        and environ.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    )


class TokenCallHandler(WSGIHandler):
    """Django's handler over ``settings.TOKEN_CALL_MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; give it the short list for the time it takes
        # (at start-up, before any request) rather than copy its loader.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.TOKEN_CALL_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class Application:
    """Routes each request to one of the two handlers; both send Django's request signals as usual."""

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.token_call = TokenCallHandler()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.token_call if is_token_call(environ) else self.full
        return handler(environ, start_response)


def wsgi_application() -> Application:
    """What ``django.core.wsgi.get_wsgi_application`` does, with the two handlers."""
    django.setup(set_prefix=False)
    return Application()


class TokenCallMiddleware:
    """The long list's traces on a token call without a cookie, and nothing else:

    - ``request.user`` is anonymous (AuthenticationMiddleware without a session; the API's session
      authentication reads it and finds nobody, so the bearer token alone decides);
    - the Content-Security-Policy and X-Frame-Options headers (a JSON answer framed or run as a page gets
      nothing), built once;
    - Content-Length, as CommonMiddleware sets it.

    Not ``Vary: Cookie``, which SessionMiddleware adds once a middleware has looked for a session: the answer
    to a call without a cookie does not vary with one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from csp.utils import build_policy  # noqa: PLC0415 - config.wsgi imports this module before the apps load
        from django.contrib.auth.models import AnonymousUser  # noqa: PLC0415 - the same: an app's models module

        self.anonymous = AnonymousUser
        self.get_response = get_response
        self.policy = build_policy()
        self.frame_options = settings.X_FRAME_OPTIONS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = self.anonymous()
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        if "X-Frame-Options" not in response:
            response["X-Frame-Options"] = self.frame_options
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response
