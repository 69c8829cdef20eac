"""Accounts: organizations and users. Writes go through these functions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.hashers import make_password
from django.db import transaction

from holdtrack.accounts.models import Organization, OrgKind, Role, User
from holdtrack.audit.services import audit_record
from holdtrack.jurisdictions.models import AreaOfResponsibility, LawEnforcementAgency
from holdtrack.kernel.parties import authorize

SYSTEM_USERNAME = "system"


_system_memo: ContextVar[list[User] | None] = ContextVar("system_user_memo", default=None)


def system_user() -> User:
    """The actor of clocks and rules (the sweep, automatic validation). Read once per ``system_user_memo`` scope."""
    memo = _system_memo.get()
    if memo:
        return memo[0]
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": Role.SYSTEM, "first_name": "holdtrack", "last_name": "system", "is_active": False},
    )
    if memo is not None:
        memo.append(user)
    return user


@contextmanager
def system_user_memo() -> Iterator[None]:
    """Within the scope, ``system_user`` reads the account once (the simulator: thousands of system steps). Only
    for a scope whose writes commit together or not at all, so the account it read cannot be rolled back under
    it while the scope still uses it."""
    token = _system_memo.set([])
    try:
        yield
    finally:
        _system_memo.reset(token)


def organization_for_lea(lea: LawEnforcementAgency) -> Organization:
    org, _ = Organization.objects.get_or_create(kind=OrgKind.LEA, name=f"{lea.name} ({lea.ori})", defaults={"lea": lea})
    return org


def organization_for_aor(aor: AreaOfResponsibility) -> Organization:
    org, _ = Organization.objects.get_or_create(
        kind=OrgKind.AGENCY_OFFICE, name=f"{aor.name} Field Office", defaults={"aor": aor}
    )
    return org


def organization_doj(district: str) -> Organization:
    org, _ = Organization.objects.get_or_create(
        kind=OrgKind.DOJ, name=f"U.S. Attorney's Office, {district}", defaults={"judicial_district": district}
    )
    return org


def user_ensure(
    *,
    actor: User | None,
    username: str,
    role: str,
    organization: Organization | None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    subpoena_authority: str = "",
    email: str = "",
) -> User:
    """Create the user if missing; re-running changes nothing (demo and simulator call it repeatedly)."""
    authorize(actor or system_user(), "user_ensure")
    with transaction.atomic():
        # Without a password (the simulator's staff), the unusable mark and the flags go in with the insert: one
        # write. A password is hashed only for a user that is created.
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "organization": organization,
                "first_name": first_name,
                "last_name": last_name,
                "title": title,
                "subpoena_authority": subpoena_authority,
                "email": email,
                "password": make_password(None),
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
            audit_record(
                actor=actor,
                action="user.create",
                entity_type="user",
                entity_id=user.pk,
                data={"username": username, "role": role, "organization": organization.pk if organization else None},
            )
        return user
