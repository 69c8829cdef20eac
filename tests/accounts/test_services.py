"""``accounts.services``: the system account read once per memo scope; ``user_ensure`` in one write."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import system_user, system_user_memo, user_ensure

pytestmark = pytest.mark.django_db


def test_system_user_is_read_once_within_a_memo_scope_only():
    first = system_user()
    with system_user_memo():
        inside = system_user()
        with CaptureQueriesContext(connection) as ctx:
            again = system_user()
        assert again is inside and inside.pk == first.pk and not ctx.captured_queries
    with CaptureQueriesContext(connection) as ctx:
        after = system_user()
    assert after.pk == first.pk and after is not inside and len(ctx.captured_queries) == 1


def test_user_ensure_creates_once_with_an_unusable_or_hashed_password():
    staff = user_ensure(actor=None, username="sim-x-clerk", role=Role.LEA_BOOKING, organization=None, first_name="A")
    assert not staff.has_usable_password() and not staff.is_staff
    stored = User.objects.get(pk=staff.pk)
    assert not stored.has_usable_password() and stored.first_name == "A"
    admin = user_ensure(actor=None, username="adm", role=Role.ADMIN, organization=None, password="a long password 1")
    stored = User.objects.get(pk=admin.pk)
    assert stored.check_password("a long password 1") and stored.is_staff and stored.is_superuser
    # Re-running changes nothing, whatever it is given.
    same = user_ensure(actor=None, username="adm", role=Role.ANALYST, organization=None, password="other password 2")
    assert same.pk == admin.pk and User.objects.get(pk=admin.pk).role == Role.ADMIN
    assert User.objects.get(pk=admin.pk).check_password("a long password 1")
