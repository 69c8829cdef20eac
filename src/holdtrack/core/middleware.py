"""Input that no view should ever see, refused at the edge: a NUL byte in the path, the query string, a form
field or (under ``/api/``) a JSON string.

PostgreSQL cannot store NUL in text, so such a value used to travel down to the driver and come back as a 500.
No legitimate field of this system holds one; refusing it once here covers every page, filter and payload,
including those added later. The API answers a 422 problem naming the field (before authentication: the answer
reveals nothing); pages answer a 400 page. File uploads are not inspected (binary content may hold NUL bytes).

Also under ``/api/``: a 404 that did not come from the API itself (an id that is not an integer does not match
any URL, so Django's resolver answers) is rendered as a problem like every other API error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from holdtrack.core.problems import problem

API_PREFIX = "/api/"
NUL = "\x00"


def _nul_fields(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of the JSON values (or keys) that contain a NUL byte."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            if NUL in str(k):
                yield path
            else:
                yield from _nul_fields(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nul_fields(v, (*path, str(i)))


def nul_fields(request: HttpRequest) -> list[tuple[str, tuple[str, ...]]]:
    """``(source, field path)`` of every NUL byte in the request, source one of path, query, form, body."""
    found: list[tuple[str, tuple[str, ...]]] = []
    if NUL in request.path:
        found.append(("path", ("path",)))
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in v for v in values):
            found.append(("query", (key.replace(NUL, "\\x00"),)))
    content_type = request.content_type or ""
    try:
        if request.method in ("POST", "PUT", "PATCH"):
            if content_type == "application/x-www-form-urlencoded" or content_type.startswith("multipart/"):
                for key, values in request.POST.lists():
                    if NUL in key or any(NUL in v for v in values):
                        found.append(("form", (key.replace(NUL, "\\x00"),)))
            elif request.path.startswith(API_PREFIX) and "json" in content_type:
                try:
                    data = json.loads(request.body)
                except ValueError:
                    data = None  # the API answers unparseable bodies itself
                found.extend(("body", p) for p in _nul_fields(data))
    except RequestDataTooBig:
        pass  # the view answers that in its own way
    return found


class InputSanityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = nul_fields(request)
        is_api = request.path.startswith(API_PREFIX)
        if found:
            return self._refuse(request, found, is_api)
        response = self.get_response(request)
        if is_api and response.status_code == 404 and "json" not in response.get("Content-Type", ""):
            return problem(request, 404, "not-found", "Not found", "No such resource in your scope.")
        return response

    def _refuse(self, request: HttpRequest, found: list[tuple[str, tuple[str, ...]]], is_api: bool) -> HttpResponse:
        names = [".".join(p) or "body" for _, p in found]
        message = "must not contain a NUL byte (\\u0000)"
        if is_api:
            errors = [
                {"field": n, "pointer": "/" + "/".join(p), "message": message}
                for n, (_, p) in zip(names, found, strict=True)
            ]
            detail = "; ".join(f"{n}: {message}" for n in names[:5])
            return problem(request, 422, "validation", "The request is not valid", detail, errors=errors)
        detail = f"{', '.join(names[:5])}: {message}. Remove the character and try again."
        return render(request, "core/bad_request.html", {"detail": detail}, status=400)
