"""An administrative warrant or subpoena is never judicial: refused by the service and by the database itself
(domain.md A1.3, B1 Warrant, C2; NILC "Warrants and subpoenas 101")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from holdtrack.cases.models import Subpoena, Warrant, WarrantType
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.errors import GuardRefused
from holdtrack.custody import services as cs
from tests.factories import T0, prepared

pytestmark = pytest.mark.django_db


def attach(world, d, **kwargs):  # type: ignore[no-untyped-def]
    defaults = {
        "actor": world.officer,
        "detainer": d,
        "signed_by_name": "A. Signer",
        "signed_by_title": "Supervisory Detention and Deportation Officer",
        "signed_at": T0,
        "at": T0 + timedelta(minutes=7),
    }
    return ds.warrant_attach(**{**defaults, **kwargs})


@pytest.mark.parametrize("kind", [WarrantType.I200, WarrantType.I205, WarrantType.I203])
def test_administrative_warrant_cannot_be_labelled_judicial(world, kind):
    d = prepared(world, warrant=False)
    with pytest.raises(GuardRefused) as info:
        attach(world, d, warrant_type=kind, is_judicial=True, court="U.S. District Court")
    assert info.value.rule == "R-WARRANT-KIND v1"
    assert "NILC" in str(info.value)
    assert not Warrant.objects.filter(detainer=d).exists()


def test_judicial_warrant_cannot_be_labelled_administrative(world):
    d = prepared(world, warrant=False)
    with pytest.raises(GuardRefused, match="R-WARRANT-KIND v1"):
        attach(world, d, warrant_type=WarrantType.JUDICIAL_ARREST, is_judicial=False, court="D. Colo.")


def test_warrant_signed_by_an_immigration_judge_is_not_judicial(world):
    d = prepared(world, warrant=False)
    with pytest.raises(GuardRefused, match="immigration judge") as info:
        attach(
            world,
            d,
            warrant_type=WarrantType.JUDICIAL_ARREST,
            signed_by_name="I. J. Example",
            signed_by_title="Immigration Judge",
            court="Houston Immigration Court",
        )
    assert info.value.rule == "R-WARRANT-KIND v1"
    assert not Warrant.objects.filter(detainer=d).exists()


@pytest.mark.parametrize("court", ["", "   "])
def test_judicial_warrant_must_name_its_court(world, court):
    d = prepared(world, warrant=False)
    with pytest.raises(GuardRefused, match="names the Article III or state court"):
        attach(
            world,
            d,
            warrant_type=WarrantType.JUDICIAL_ARREST,
            signed_by_title="United States Magistrate Judge",
            court=court,
        )


def test_types_set_the_judicial_flag(world):
    d = prepared(world, warrant=False)
    admin = attach(world, d, warrant_type=WarrantType.I200)
    judicial = attach(
        world,
        d,
        warrant_type=WarrantType.JUDICIAL_WRIT,
        signed_by_title="District Judge",
        court="U.S. District Court for the Southern District of Texas",
    )
    assert admin.is_judicial is False and judicial.is_judicial is True


def test_database_refuses_an_administrative_warrant_marked_judicial(world):
    d = prepared(world)  # carries an I-200
    w = Warrant.objects.get(detainer=d, warrant_type=WarrantType.I200)
    with pytest.raises(IntegrityError), transaction.atomic():
        Warrant.objects.filter(pk=w.pk).update(is_judicial=True, court="U.S. District Court")
    with pytest.raises(IntegrityError), transaction.atomic():
        Warrant.objects.filter(pk=w.pk).update(is_judicial=True)
    w.refresh_from_db()
    assert w.is_judicial is False


def test_database_refuses_a_judicial_warrant_without_a_court(world):
    d = prepared(world, warrant=False)
    w = attach(
        world,
        d,
        warrant_type=WarrantType.JUDICIAL_ARREST,
        signed_by_title="United States Magistrate Judge",
        court="D. Colo.",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Warrant.objects.filter(pk=w.pk).update(court="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Warrant.objects.filter(pk=w.pk).update(is_judicial=False)


def test_database_refuses_a_judicial_subpoena(world):
    subject = cs.subject_create(actor=world.booking_clerk, first_name="Test", last_name="Subpoenaed")
    s = ss.subpoena_draft(actor=world.officer, recipient_lea=world.lea, subject=subject, items=["HOME_ADDRESS"], at=T0)
    assert s.is_judicial is False
    with pytest.raises(IntegrityError), transaction.atomic():
        Subpoena.objects.update(is_judicial=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Subpoena.objects.filter(pk=s.pk).update(is_judicial=True)
    s.refresh_from_db()
    assert s.is_judicial is False
