"""JSON for every API answer, written by orjson (ADR 0048).

Timestamps are written as stored, to the microsecond, UTC with ``Z`` (``2026-12-01T10:11:12.345678Z``; no
fraction when it is zero) — RFC 3339, as before, but no longer cut to the millisecond as Django's encoder
cuts them: a timestamp read from a page is a bound a client can filter by (``prepared_after=…``) without
missing or repeating the rows of the same millisecond. What orjson does not know (a lazy string, a Decimal, a
duration, a schema object) is written as django-ninja's encoder writes it.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

MEDIA_TYPE = "application/json"
CONTENT_TYPE = f"{MEDIA_TYPE}; charset=utf-8"
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS  # integer keys (OpenAPI's status codes) as strings
_fallback = NinjaJSONEncoder().default


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_fallback, option=_OPTIONS)


class JsonRenderer(BaseRenderer):
    media_type = MEDIA_TYPE
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """An answer written once, for a view that builds plain values rather than schema objects (the list pages);
    django-ninja returns it as it is."""
    return HttpResponse(dumps(data), status=status, content_type=CONTENT_TYPE)
