"""Mounted at /api/v1/ by the project URLconf; the routers live beside this module.

OpenAPI 3.1 at /api/v1/openapi.json, interactive docs at /api/v1/docs.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from holdtrack.api import errors
from holdtrack.api.auth import AUTH
from holdtrack.api.render import JsonRenderer
from holdtrack.api.routers import bookings, claims, court, detainers, matches, reference, subpoenas, webhooks

DESCRIPTION = """\
The same services as the web desks, for system clients (an LEA's jail system, an agency's case system, a DOJ
office). Authenticate with `Authorization: Bearer <token>`; each token carries scopes and acts as a service
user of its organization, so every read is scoped and every write is audited like the same act in the UI.
Errors are RFC 9457 problem details (`application/problem+json`). See docs/api.md.
"""


class HoldtrackAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Errors are served as ``application/problem+json``; say so in the document."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content")
                    if str(status).startswith(("4", "5")) and content and "application/json" in content:
                        response["content"] = {errors.PROBLEM_MEDIA_TYPE: content["application/json"]}
        return schema


api = HoldtrackAPI(
    title="holdtrack API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=AUTH,
    renderer=JsonRenderer(),
)
errors.install(api)
for module in (bookings, detainers, subpoenas, court, matches, claims, reference, webhooks):
    api.add_router("", module.router)
