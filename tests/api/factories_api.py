"""API test helpers: tokens for a world's organizations and a JSON client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from holdtrack.accounts.models import Organization
from holdtrack.api.services import SCOPES_BY_KIND, api_client_create
from tests.factories import T0, World

_seq = iter(range(1, 1_000_000))


def token_for(org: Organization, scopes: list[str] | None = None, role: str | None = None) -> str:
    scopes = sorted(SCOPES_BY_KIND[org.kind]) if scopes is None else scopes
    return api_client_create(actor=None, organization=org, name=f"client {next(_seq)}", scopes=scopes, role=role).token


@dataclass
class Api:
    token: str
    http: Client

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get("/api/v1" + path, params, **self._headers())

    def post(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body if body is not None else {})
        return self.http.post("/api/v1" + path, data=data, content_type="application/json", **self._headers())


def api_for(org: Organization, scopes: list[str] | None = None, role: str | None = None) -> Api:
    return Api(token=token_for(org, scopes, role), http=Client())


def booking_payload(w: World, number: str | None = None, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agency_ori": w.lea.ori,
        "booking_number": number or f"API{next(_seq):06d}",
        "booked_at": T0.isoformat(),
        "facility_code": w.facility.code,
        "first_name": "Synthetic",
        "last_name": f"Person{next(_seq)}",
        "date_of_birth": "1991-04-05",
        "sex": "M",
        "birth_country": "Guatemala",
        "charge_level": "FELONY",
        "charges": [{"code": "PC-1", "description": "test charge", "type": "property"}],
    }
    body.update(over)
    return body
