"""The organization's webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from holdtrack.accounts.models import User
from holdtrack.api import services
from holdtrack.api.auth import actor, need
from holdtrack.api.errors import COMMON, responses
from holdtrack.api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from holdtrack.api.pagination import Page, PageParams, page
from holdtrack.core.errors import NotFound

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str = Field(..., min_length=8, max_length=500, pattern=r"^https?://")
    events: list[WebhookEvent] = Field(..., min_length=1, max_length=3)


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(..., description="Shown once: verify X-Holdtrack-Signature with it")


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_type: str
    status: str
    attempts: int
    response_code: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
    log: list[dict[str, Any]]


def _endpoint_out(e: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(id=e.pk, url=e.url, events=list(e.events), active=e.active, created_at=e.created_at)


def _org_id(user: User) -> int:
    if user.organization_id is None:
        raise NotFound("No organization.")
    return int(user.organization_id)


@router.get(
    "/webhooks/endpoints",
    response=responses({200: Page[EndpointOut]}, COMMON),
    summary="Your endpoints",
    auth=need("webhooks:manage"),
)
def endpoints_list(request: HttpRequest, filters: Query[PageParams]) -> Any:
    user = actor(request, "webhooks:manage")
    qs = WebhookEndpoint.objects.filter(organization_id=_org_id(user)).order_by("pk")
    return page(qs, filters, EndpointOut, _endpoint_out)


@router.post(
    "/webhooks/endpoints",
    response=responses({201: EndpointCreatedOut}),
    summary="Subscribe an endpoint",
    auth=need("webhooks:manage"),
)
def endpoints_create(request: HttpRequest, payload: EndpointIn) -> Any:
    user = actor(request, "webhooks:manage")
    assert user.organization is not None
    e = services.webhook_endpoint_create(
        actor=user, organization=user.organization, url=payload.url, events=[str(v) for v in payload.events]
    )
    return Status(201, EndpointCreatedOut(**_endpoint_out(e).model_dump(), secret=e.secret))


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/deactivate",
    response=responses({200: EndpointOut}),
    summary="Stop deliveries to an endpoint",
    auth=need("webhooks:manage"),
)
def endpoints_deactivate(request: HttpRequest, endpoint_id: int) -> EndpointOut:
    user = actor(request, "webhooks:manage")
    e = WebhookEndpoint.objects.filter(pk=endpoint_id, organization_id=_org_id(user)).first()
    if e is None:
        raise NotFound("Webhook endpoint not found.")
    return _endpoint_out(services.webhook_endpoint_deactivate(actor=user, endpoint=e))


class DeliveryFilters(PageParams):
    status: DeliveryStatus | None = None
    event_type: WebhookEvent | None = None


@router.get(
    "/webhooks/deliveries",
    response=responses({200: Page[DeliveryOut]}, COMMON),
    summary="Delivery log",
    auth=need("webhooks:manage"),
)
def deliveries_list(request: HttpRequest, filters: Query[DeliveryFilters]) -> Any:
    user = actor(request, "webhooks:manage")
    qs = WebhookDelivery.objects.filter(endpoint__organization_id=_org_id(user)).order_by("-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.event_type:
        qs = qs.filter(event_type=filters.event_type)
    return page(qs, filters, DeliveryOut, lambda d: DeliveryOut.model_validate(d, from_attributes=True))
