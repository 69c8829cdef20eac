"""Django's database sessions, with the session read by a statement compiled once (issue 12).

``SESSION_ENGINE`` points here. The read is the database backend's own — the row of the session key, unexpired —
with the expiry compared in Python after a read by the key (the primary key), so that the statement is compiled
once (``core.rows.read_one``). The same table and rows: a session saved before stays valid.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from holdtrack.core.rows import read_one


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not isinstance(key, str) or self.model is not Session:
            return super()._get_session_from_db()  # type: ignore[misc]  # not in django-stubs
        found = read_one(("accounts.session",), lambda k: Session.objects.filter(session_key=k), key)
        if found is None or found.expire_date <= timezone.now():
            self._session_key = None  # as the database backend does for a missing or expired session
            return None
        return found
