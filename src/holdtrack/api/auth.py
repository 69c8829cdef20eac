"""Who calls: a system client by bearer token (scoped), or a signed-in browser user (the docs page).

The acting ``User`` of every request is the client's service user, so services, access functions and the
audit trail treat an API call exactly like the same act in the UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from holdtrack.accounts.models import User
from holdtrack.api.models import ApiClient
from holdtrack.api.services import SCOPES, SCOPES_BY_KIND, token_hash
from holdtrack.core.rows import read_one


@dataclass(frozen=True)
class Principal:
    user: User
    scopes: frozenset[str]
    client: ApiClient | None = None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        client = read_one(  # compiled once (core.rows.read_one): every API call starts here
            ("api.client_by_token",),
            lambda digest: ApiClient.objects.select_related("user__organization", "organization__lea").filter(
                token_sha256=digest, active=True
            ),
            token_hash(token),
        )
        if client is None or not client.user.is_active:
            return None
        # Written at most once a minute: a busy feed must not turn every read into a write.
        stamp = timezone.now()
        if client.last_used_at is None or (stamp - client.last_used_at).total_seconds() > 60:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=stamp)
        return Principal(user=client.user, scopes=frozenset(client.scopes), client=client)


class BrowserSessionAuth(SessionAuth):
    """A signed-in user trying the API from the docs page: the scopes of the user's organization kind;
    the services and access functions still decide by role and organization."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User) or user.organization is None:
            return None
        return Principal(user=user, scopes=SCOPES_BY_KIND.get(user.organization.kind, frozenset()))


AUTH = [TokenAuth(), BrowserSessionAuth()]


def principal(request: HttpRequest) -> Principal:
    p: Any = getattr(request, "auth", None)
    assert isinstance(p, Principal)
    return p


def actor(request: HttpRequest, scope: str) -> User:
    """The acting user, once the caller is known to hold ``scope`` (else 403)."""
    p = principal(request)
    if scope not in p.scopes:
        raise AuthorizationError(message=f"This client lacks the scope '{scope}'.")
    return p.user


class _ScopedToken(TokenAuth):
    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        p = super().authenticate(request, token)
        if p is not None and self.scope not in p.scopes:
            raise AuthorizationError(message=f"This client lacks the scope '{self.scope}'.")
        return p


class _ScopedSession(BrowserSessionAuth):
    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        p = super().authenticate(request, key)
        if p is not None and self.scope not in p.scopes:
            raise AuthorizationError(message=f"Your organization's API access lacks the scope '{self.scope}'.")
        return p


def need(scope: str) -> list[Any]:
    """An operation's ``auth=``: authenticate, then require ``scope`` before the body is even parsed (so a
    client without the scope gets 403, never a validation error)."""
    assert scope in SCOPES, scope
    return [_ScopedToken(scope), _ScopedSession(scope)]
