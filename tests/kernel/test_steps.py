"""The step machinery (kernel.steps) refuses a person's step that no rule allowed: a service cannot forget."""

from __future__ import annotations

from datetime import timedelta

import pytest

from holdtrack.accounts.services import system_user
from holdtrack.audit.models import AuditEvent, CaseType, Transition
from holdtrack.cases.models import DetainerState
from holdtrack.kernel.parties import UnauthorizedStep, authorize
from holdtrack.kernel.steps import locked_for, note, step
from tests.factories import T0, prepared

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int]:
    return Transition.objects.count(), AuditEvent.objects.count()


@pytest.mark.smoke
def test_a_persons_step_without_an_authorization_writes_nothing(world):  # type: ignore[no-untyped-def]
    d = prepared(world)
    before = _counts()
    with pytest.raises(UnauthorizedStep):
        step(d, "approve", case_type=CaseType.DETAINER, actor=world.supervisor, at=T0 + timedelta(hours=1))
    with pytest.raises(UnauthorizedStep):
        note(d, "serve_subject", case_type=CaseType.DETAINER, actor=world.booking_clerk, at=T0 + timedelta(hours=1))
    d.refresh_from_db()
    assert d.state == DetainerState.PREPARED and _counts() == before


def test_an_authorization_is_for_its_own_actor_only(world):  # type: ignore[no-untyped-def]
    d = prepared(world)
    grant = authorize(world.supervisor, "detainer_approve", d)
    with pytest.raises(UnauthorizedStep):
        step(d, "approve", case_type=CaseType.DETAINER, actor=world.officer, grant=grant, at=T0 + timedelta(hours=1))
    d.refresh_from_db()
    assert d.state == DetainerState.PREPARED


def test_the_system_steps_without_a_grant_and_a_person_with_one(world):  # type: ignore[no-untyped-def]
    d = prepared(world)
    note(d, "hold_refused", case_type=CaseType.DETAINER, actor=system_user(), at=T0 + timedelta(minutes=20))
    from holdtrack.cases.models import Detainer

    locked_d, grant = locked_for(world.supervisor, "detainer_approve", Detainer, d.pk)
    step(
        locked_d,
        "approve",
        case_type=CaseType.DETAINER,
        actor=world.supervisor,
        grant=grant,
        at=T0 + timedelta(hours=1),
    )
    locked_d.refresh_from_db()
    assert locked_d.state == DetainerState.APPROVED
    assert AuditEvent.objects.get(action="detainer.approve", entity_id=d.pk).data["rule"] == "detainer_approve"
