"""RFC 9457 problem details (``application/problem+json``): the one body every API error is rendered as.

In core because the edge refuses some requests before any app sees them (``core.middleware``) and must answer
API requests in the API's own format; which error maps to which status stays with the API (``api.errors``).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

PROBLEM_TYPE_BASE = "https://holdtrack.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem(
    request: HttpRequest,
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    rule: str = "",
    citation: str = "",
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if rule:
        body["rule"] = rule
    if citation:
        body["citation"] = citation
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_MEDIA_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="holdtrack"'
    return response
