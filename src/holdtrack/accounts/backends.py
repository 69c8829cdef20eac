"""The signed-in user of a browser request, read by a statement compiled once (issue 12).

Every desk page loads the user behind its session, then its organization (every access function scopes by it):
two statements the ORM compiled anew on each request. ``AccountBackend`` is Django's ``ModelBackend`` with one
read of both, compiled once (``core.rows.read_one``); signing in, permissions and the active-account check are
the ``ModelBackend``'s own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from holdtrack.accounts.models import User
from holdtrack.core.rows import read_one


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        if not isinstance(user_id, int):
            return super().get_user(user_id)
        user = read_one(
            ("accounts.signed_in_user",),
            lambda pk: User.objects.select_related("organization").filter(pk=pk),
            user_id,
        )
        return user if user is not None and self.user_can_authenticate(user) else None
