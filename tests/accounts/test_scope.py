"""accounts.scope: the organization behind each role, for the access modules."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from holdtrack.accounts import scope
from holdtrack.accounts.models import Role
from holdtrack.accounts.services import system_user
from tests.factories import UserFactory, make_world

pytestmark = pytest.mark.django_db


def test_each_role_reads_through_the_organization_of_its_kind():
    w = make_world()
    for who in ("officer", "supervisor", "agency_counsel"):
        user = getattr(w, who)
        assert (scope.agency_org(user), scope.lea_org(user), scope.doj_org(user)) == (w.office, None, None)
    for who in ("booking_clerk", "lea_counsel"):
        user = getattr(w, who)
        assert (scope.agency_org(user), scope.lea_org(user), scope.doj_org(user)) == (None, w.lea_org, None)
    assert (scope.agency_org(w.doj_attorney), scope.lea_org(w.doj_attorney)) == (None, None)
    assert scope.doj_org(w.doj_attorney) == w.doj
    assert scope.active_role(w.officer) == Role.AGENCY_OFFICER


def test_anyone_else_reads_through_no_organization():
    w = make_world()
    nobody = [
        None,
        AnonymousUser(),
        system_user(),
        UserFactory(role=Role.ANALYST, organization=w.office),
        UserFactory(role=Role.AGENCY_OFFICER, organization=w.office, is_active=False),
        UserFactory(role=Role.AGENCY_OFFICER, organization=None),
        UserFactory(role=Role.AGENCY_OFFICER, organization=w.lea_org),
        UserFactory(role=Role.LEA_BOOKING, organization=w.office),
        UserFactory(role=Role.DOJ_ATTORNEY, organization=w.office),
    ]
    for user in nobody:
        assert (scope.agency_org(user), scope.lea_org(user), scope.doj_org(user)) == (None, None, None), user
    assert scope.active_user(AnonymousUser()) is None
    assert scope.active_role(nobody[4]) is None  # inactive


def test_a_malformed_id_matches_no_row_and_the_reader_is_recorded_with_their_organization():
    assert [scope.as_pk(v) for v in (7, "7", " 7 ", "7.0", "1 OR 1=1", None, "")] == [7, 7, 7, -1, -1, -1, -1]
    w = make_world()
    assert scope.reader_data(w.officer) == {"org": w.office.pk}
    assert scope.reader_data(AnonymousUser()) == {"org": None}


def test_the_access_layers_read_only_the_reader_fields_a_scope_shape_holds():
    """Scoped reads are compiled once per ``scope_shape`` (ADR 0037, amendment): a scope rule that read another
    field of the reader or its organization could reuse another reader's statement. This test fails when an
    access layer starts reading one; add the field to ``scope_shape``/``scope_values`` first."""
    import re
    from pathlib import Path

    import holdtrack

    root = Path(holdtrack.__file__).parent
    allowed = {
        "user": {"pk", "role", "is_active", "organization", "organization_id"},
        "org": {"pk", "kind", "aor_id", "lea_id"},
        "organization": {"pk", "kind", "aor_id", "lea_id"},
    }
    for module in ("accounts/scope.py", "cases/access.py", "custody/access.py"):
        text = (root / module).read_text()
        for name, fields in allowed.items():
            used = set(re.findall(rf"\b{name}\.([a-z_]+)\b", text)) - {"objects"}
            assert used <= fields, f"{module} reads {name}.{sorted(used - fields)}: add it to scope_shape"
