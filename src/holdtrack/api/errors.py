"""RFC 9457 problem details for every error the API returns (``application/problem+json``).

Domain errors from the services map to statuses here, once: a refused safeguard and a state conflict are
409 (``core.errors.REFUSAL_STATUS``, as on the desks) naming the rule and its citation, an act the role may
not do is 403, a missing or out-of-scope record 404 (the same answer for both, so ids cannot be probed), bad
input 422 with one entry per field.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from holdtrack.core.errors import (
    REFUSAL_STATUS,
    GuardRefused,
    InvalidTransition,
    NotFound,
    NotPermitted,
    ValidationFailed,
)

# The problem body is core's (the edge middleware answers in it too); re-exported for the API's modules.
from holdtrack.core.problems import PROBLEM_MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from holdtrack.core.problems import problem as problem


class FieldError(Schema):
    field: str
    pointer: str
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    rule: str | None = None
    citation: str | None = None
    errors: list[FieldError] | None = None


# Statuses every authenticated operation may answer with (documented on each operation).
COMMON = (401, 403, 404, 422)
ACTION = (*COMMON, REFUSAL_STATUS)


def _is_union_tag(part: str) -> bool:
    # pydantic names the branch of a union in the location ("list[...]", "function-wrap[...]").
    return "[" in part and part.endswith("]")


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    # A body that is one object or a list: the errors of the branch the input does not take ("should be a
    # valid list") say nothing about the fields; keep them only when nothing else is left.
    branch_only = [e for e in errors if e.get("loc") and _is_union_tag(str(e["loc"][-1]))]
    if 0 < len(branch_only) < len(errors):
        errors = [e for e in errors if e not in branch_only]
    for e in errors:
        loc = [str(p) for p in e.get("loc", []) if not _is_union_tag(str(p))]
        # ninja prefixes the source ("body", "query", "path") and the parameter name; keep the field path.
        if loc and loc[0] == "body" and len(loc) > 1:
            loc = loc[2:] if len(loc) > 2 else loc[1:]
        elif loc and loc[0] in ("query", "path", "header", "cookie"):
            loc = loc[1:]
        out.append(
            {
                "field": ".".join(loc) or "body",
                "pointer": "/" + "/".join(loc),
                "message": str(e.get("msg", "invalid")),
            }
        )
    return out


def install(api: NinjaAPI) -> None:
    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = _field_errors(list(exc.errors))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(request, 422, "validation", "The request is not valid", detail, errors=errors)

    def validation_failed(request: HttpRequest, exc: Any) -> HttpResponse:
        field = str(getattr(exc, "field", "") or "")
        errors = [{"field": field or "body", "pointer": "/" + field.replace(".", "/"), "message": exc.message}]
        return problem(request, 422, "validation", "The request is not valid", exc.message, errors=errors)

    def guard(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            request,
            REFUSAL_STATUS,
            "guard-refused",
            "A safeguard refused the action",
            exc.message,
            rule=exc.rule,
            citation=exc.citation,
        )

    def transition(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            request,
            REFUSAL_STATUS,
            "invalid-transition",
            "Not possible in the current state",
            exc.message,
            rule=exc.rule,
            citation=exc.citation,
        )

    def not_permitted(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(request, 403, "forbidden", "Not permitted", exc.message)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        detail = exc.message if isinstance(exc, NotFound) else "No such resource in your scope."
        return problem(request, 404, "not-found", "Not found", detail)

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, AuthenticationError) or exc.status_code == 401:
            return problem(request, 401, "unauthenticated", "Authentication required", "Send a valid bearer token.")
        if exc.status_code == 403:
            return problem(request, 403, "forbidden", "Not permitted", str(exc))
        if exc.status_code == 404:
            return problem(request, 404, "not-found", "Not found", str(exc))
        if exc.status_code == 400:
            # Unparseable bodies: a 422 problem like every other bad payload.
            return problem(
                request,
                422,
                "validation",
                "The request is not valid",
                str(exc),
                errors=[{"field": "body", "pointer": "/", "message": str(exc)}],
            )
        return problem(request, exc.status_code, "error", "Request failed", str(exc))

    api.add_exception_handler(NinjaValidationError, validation)
    api.add_exception_handler(ValidationFailed, validation_failed)
    api.add_exception_handler(GuardRefused, guard)
    api.add_exception_handler(InvalidTransition, transition)
    api.add_exception_handler(NotPermitted, not_permitted)
    api.add_exception_handler(NotFound, not_found)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)


def responses(ok: dict[int, Any], statuses: tuple[int, ...] = ACTION) -> dict[int, Any]:
    """An operation's ``response=`` mapping: its success schema(s) plus the documented problems."""
    return {**ok, **{s: Problem for s in statuses}}


def field_error(field: str, message: str) -> ValidationFailed:
    """A ``ValidationFailed`` that names the offending field (rendered as a 422 with ``errors``)."""
    err = ValidationFailed(message)
    err.field = field  # type: ignore[attr-defined]
    return err
