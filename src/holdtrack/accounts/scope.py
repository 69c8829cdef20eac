"""Whose records a user may read: the organization behind each role, for the access modules of every app.

``custody/access.py`` (bookings, matches, subjects, claims) and ``cases/access.py`` (detainers, subpoenas,
referrals, court cases, work items) build their scopes on these helpers, so a role's reach is decided here once:

- an agency role (officer, supervisor, counsel) reads through its field office, which covers one area of
  responsibility (``agency_org``);
- an LEA role reads through its law enforcement agency (``lea_org``);
- a DOJ attorney reads through their DOJ office (``doj_org``);
- anyone else — analysts, auditors, administrators, the system account, anonymous visitors, inactive accounts
  and users whose organization is not of their role's kind — gets ``None`` from all three and no personal data.

This module sits on the floor (it imports only ``accounts``): every app may use it.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Organization, OrgKind, Role, User

# Whoever a request or a caller names: a signed-in user or an anonymous visitor. Every access, selector and
# desk tool function takes this type and answers an anonymous visitor with nothing.
AnyUser: TypeAlias = User | AnonymousUser


def active_user(user: AnyUser | None) -> User | None:
    """The user when signed in with an active account; ``None`` for anonymous visitors and inactive accounts."""
    if not isinstance(user, User):  # None, or AnonymousUser (never authenticated)
        return None
    if not user.is_active:
        return None
    return user


def active_role(user: AnyUser | None) -> str | None:
    """The role of a signed-in, active user; ``None`` for anyone else."""
    u = active_user(user)
    if u is None:
        return None
    return str(u.role)


def agency_org(user: AnyUser | None) -> Organization | None:
    """The user's field office when the user holds an agency role and the office covers an AOR."""
    u = active_user(user)
    if u is None or u.role not in AGENCY_ROLES:
        return None
    org = u.organization
    if org is None:
        return None
    if org.kind != OrgKind.AGENCY_OFFICE:
        return None
    if org.aor_id is None:
        return None
    return org


def lea_org(user: AnyUser | None) -> Organization | None:
    """The user's law enforcement agency organization when the user holds an LEA role."""
    u = active_user(user)
    if u is None or u.role not in LEA_ROLES:
        return None
    org = u.organization
    if org is None:
        return None
    if org.kind != OrgKind.LEA:
        return None
    if org.lea_id is None:
        return None
    return org


def doj_org(user: AnyUser | None) -> Organization | None:
    """The user's DOJ office when the user is a DOJ attorney."""
    u = active_user(user)
    if u is None or u.role != Role.DOJ_ATTORNEY:
        return None
    org = u.organization
    if org is None:
        return None
    if org.kind != OrgKind.DOJ:
        return None
    return org


def as_pk(pk: int | str | None) -> int:
    """A primary key from a URL or payload; ``-1`` (matches no row) for anything not an integer, so a malformed
    id answers the same ``NotFound`` as a missing or forbidden one."""
    if pk is None:
        return -1
    try:
        return int(pk)
    except (TypeError, ValueError):
        return -1


def scope_shape(user: AnyUser) -> tuple[Any, ...]:
    """What decides the shape of the user's scoped queries (not their values): the role, whether the account is
    active, the organization's kind and which of its ids are set. With ``scope_values`` and ``scope_stand_in``, a
    scoped query can be compiled once per shape (``core.rows.statement``)."""
    u = user if isinstance(user, User) else None
    org = u.organization if u is not None else None
    if u is None:
        return ("anonymous",)
    if org is None:
        return (str(u.role), u.is_active, None)
    return (str(u.role), u.is_active, str(org.kind), org.aor_id is not None, org.lea_id is not None)


def scope_values(user: AnyUser) -> tuple[int, ...]:
    """The ids the user's scoped queries filter by: the user's, the organization's, its area's and its LEA's
    (those set; ``scope_shape`` says which)."""
    if not isinstance(user, User):
        return ()
    org = user.organization
    if org is None:
        return (user.pk,)
    return (user.pk, org.pk, *(i for i in (org.aor_id, org.lea_id) if i is not None))


def scope_stand_in(user: AnyUser, values: tuple[Any, ...]) -> AnyUser:
    """An unsaved user of ``user``'s shape whose ids are ``values`` (in ``scope_values``' order): built once with
    stand-in ids, a scoped query shows where each id goes."""
    if not isinstance(user, User):
        return user
    org = user.organization
    stand_in = User(pk=values[0], role=user.role, is_active=user.is_active)
    if org is not None:
        ids = iter(values[1:])
        org_pk = next(ids)
        aor_id = next(ids) if org.aor_id is not None else None
        lea_id = next(ids) if org.lea_id is not None else None
        stand_in.organization = Organization(pk=org_pk, kind=org.kind, aor_id=aor_id, lea_id=lea_id)
    return stand_in


def reader_data(user: AnyUser) -> dict[str, Any]:
    """The data of an access event: the reader's organization at the time of reading (users move between
    organizations; the event must not)."""
    return {"org": user.organization_id if isinstance(user, User) else None}


__all__ = [
    "AnyUser",
    "active_role",
    "active_user",
    "agency_org",
    "as_pk",
    "doj_org",
    "lea_org",
    "reader_data",
    "scope_shape",
    "scope_stand_in",
    "scope_values",
]
