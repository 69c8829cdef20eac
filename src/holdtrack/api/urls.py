"""Mounted at /api/v1/ by the project URLconf; the routers live beside this module."""

from ninja import NinjaAPI

api = NinjaAPI(title="holdtrack API", version="1", urls_namespace="api-v1")
