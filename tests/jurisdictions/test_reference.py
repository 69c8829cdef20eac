"""The shipped reference data loads completely, links correctly and can be re-run without duplicates."""

from __future__ import annotations

import csv
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from holdtrack.accounts.models import Organization, OrgKind
from holdtrack.jurisdictions.models import (
    AgencyType,
    Agreement287g,
    AgreementModel,
    AreaOfResponsibility,
    Facility,
    Jurisdiction,
    LawEnforcementAgency,
    Level,
    Policy,
)
from holdtrack.jurisdictions.reference import DATA_DIR, STATE_TIMEZONES, load_reference

pytestmark = pytest.mark.django_db

FIFTY_STATES_AND_DC = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
}  # fmt: skip


def table_counts() -> dict[str, int]:
    return {
        "aors": AreaOfResponsibility.objects.count(),
        "states": Jurisdiction.objects.filter(level=Level.STATE).count(),
        "counties": Jurisdiction.objects.filter(level=Level.COUNTY).count(),
        "cities": Jurisdiction.objects.filter(level=Level.CONSOLIDATED).count(),
        "agencies": LawEnforcementAgency.objects.count(),
        "facilities": Facility.objects.count(),
        "active": Agreement287g.objects.filter(status="ACTIVE").count(),
        "pending": Agreement287g.objects.filter(status="PENDING").count(),
        "offices": Organization.objects.filter(kind=OrgKind.AGENCY_OFFICE).count(),
        "policies": Policy.objects.count(),
    }


@pytest.fixture
def loaded() -> dict[str, int]:
    return load_reference()


@pytest.mark.smoke
def test_counts(loaded: dict[str, int]) -> None:
    assert table_counts() == {
        "aors": 25,
        "states": 57,
        "counties": 3235,
        "cities": 2,
        "agencies": 3236,
        "facilities": 3236,
        "active": 832,
        "pending": 26,
        "offices": 25,
        "policies": 9,
    }
    assert loaded["counties"] == 3235
    assert loaded["agreements_287g"] == 858


def test_idempotent(loaded: dict[str, int]) -> None:
    before = table_counts()
    assert load_reference() == loaded
    assert load_reference() == loaded
    assert table_counts() == before
    assert not Jurisdiction.objects.values("fips").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert (
        not Agreement287g.objects.values("source_sheet", "source_row").annotate(n=Count("pk")).filter(n__gt=1).exists()
    )


def test_rerun_repairs_changed_rows(loaded: dict[str, int]) -> None:
    king = Jurisdiction.objects.get(fips="53033")
    pk = king.pk
    Jurisdiction.objects.filter(pk=pk).update(name="Renamed", aor=AreaOfResponsibility.objects.get(name="Miami"))
    load_reference()
    king = Jurisdiction.objects.get(fips="53033")
    assert (king.pk, king.name, king.aor.name) == (pk, "King County", "Seattle")


def test_rerun_never_rewrites_a_policy_version(loaded: dict[str, int]) -> None:
    # Decisions stored on cases cite (key, version); a reload must not change what that version said.
    Policy.objects.filter(key="WA-KWW").update(hold_requests="HONOR")
    load_reference()
    assert Policy.objects.get(key="WA-KWW", version=1).hold_requests == "HONOR"
    assert Policy.objects.filter(key="WA-KWW").count() == 1


def test_reload_keeps_administrator_choices(loaded: dict[str, int]) -> None:
    Organization.objects.filter(name="Los Angeles Field Office").update(neutral_review_required=True)
    Policy.objects.filter(key="CA-SB54").update(approved_by="County counsel")
    load_reference()
    assert Organization.objects.get(name="Los Angeles Field Office").neutral_review_required
    assert Policy.objects.get(key="CA-SB54").approved_by == "County counsel"


def test_every_county_of_the_states_and_dc_has_an_aor(loaded: dict[str, int]) -> None:
    counties = Jurisdiction.objects.filter(level=Level.COUNTY, state_abbr__in=FIFTY_STATES_AND_DC)
    assert counties.count() == 3143
    assert not counties.filter(aor__isnull=True).exists()
    # Only American Samoa and the Minor Outlying Islands are outside every AOR.
    unassigned = set(
        Jurisdiction.objects.filter(level=Level.COUNTY, aor__isnull=True).values_list("state_abbr", flat=True)
    )
    assert unassigned == {"AS", "UM"}


def test_aors_match_shipped_mapping(loaded: dict[str, int]) -> None:
    with (DATA_DIR / "county_to_aor.csv").open(encoding="utf-8") as fh:
        expected = {r["fips"]: r["aor_field_office"] or None for r in csv.DictReader(fh)}
    actual = dict(Jurisdiction.objects.filter(level=Level.COUNTY).values_list("fips", "aor__name"))
    assert actual == expected
    assert AreaOfResponsibility.objects.filter(name="Seattle").exists()
    assert Jurisdiction.objects.get(fips="06037").aor.name == "Los Angeles"


def test_states_and_timezones(loaded: dict[str, int]) -> None:
    wa = Jurisdiction.objects.get(fips="53")
    assert (wa.level, wa.name, wa.state_abbr, wa.timezone) == (Level.STATE, "Washington", "WA", "America/Los_Angeles")
    assert Jurisdiction.objects.get(fips="04013").timezone == "America/Phoenix"
    assert Jurisdiction.objects.get(fips="53033").parent == wa
    for tz in {*STATE_TIMEZONES.values(), *Facility.objects.values_list("timezone", flat=True)}:
        zoneinfo.ZoneInfo(tz)  # raises if the zone is unknown


def test_cities(loaded: dict[str, int]) -> None:
    nyc = Jurisdiction.objects.get(fips="36-new-york-city")
    assert (nyc.level, nyc.parent.fips, nyc.aor.name) == (Level.CONSOLIDATED, "36", "New York City")
    assert set(nyc.member_counties.values_list("fips", flat=True)) == {"36005", "36047", "36061", "36081", "36085"}
    denver = Jurisdiction.objects.get(fips="08-denver")
    assert (denver.level, denver.parent.fips, denver.aor.name) == (Level.CONSOLIDATED, "08031", "Denver")
    assert [j.fips for j in denver.ancestors()] == ["08", "08031", "08-denver"]


def test_synthetic_agencies_and_facilities(loaded: dict[str, int]) -> None:
    king = LawEnforcementAgency.objects.get(ori="WA0330000")
    assert (king.name, king.agency_type, king.ori_synthetic) == (
        "King County Sheriff's Office",
        AgencyType.SHERIFF,
        True,
    )
    assert king.jurisdiction.fips == "53033"
    jail = Facility.objects.get(code="WA033CJ")
    assert (jail.name, jail.operator, jail.timezone) == ("King County Jail", king, "America/Los_Angeles")
    assert LawEnforcementAgency.objects.get(ori="LA0710000").name == "Orleans Parish Sheriff's Office"

    denver = LawEnforcementAgency.objects.get(ori="CO0310000")
    assert (denver.name, denver.jurisdiction.fips) == ("Denver Sheriff Department", "08-denver")
    doc = LawEnforcementAgency.objects.get(ori="NYNYC0000")
    assert (doc.agency_type, doc.jurisdiction.fips) == (AgencyType.CITY_DOC, "36-new-york-city")
    assert Facility.objects.get(code="NYNYCDC").operator == doc

    assert {len(o) for o in LawEnforcementAgency.objects.values_list("ori", flat=True)} == {9}
    assert {len(c) for c in Facility.objects.values_list("code", flat=True)} == {7}
    assert not LawEnforcementAgency.objects.filter(facilities__isnull=True).exists()


def test_agreements(loaded: dict[str, int]) -> None:
    active = Agreement287g.objects.filter(status="ACTIVE")
    assert active.filter(model=AgreementModel.JEM).count() == 117
    assert active.filter(model=AgreementModel.WSO).count() == 300
    assert active.filter(model=AgreementModel.TFM).count() == 415
    first = Agreement287g.objects.get(source_sheet="participatingAgencies07182025pm.xlsx", source_row=1)
    assert first.agency_name == "Cherokee County Sheriff's Office"
    assert (first.county.fips, first.lea.ori, str(first.signed_on)) == ("01019", "AL0190000", "2025-06-25")
    # The impossible year in the sheet stays blank instead of guessing.
    grundy = Agreement287g.objects.get(agency_name="Grundy County Sheriff's Office", signed_on__isnull=True)
    assert grundy.status == "ACTIVE"
    # Linked only where the county matched and the row is a county sheriff; municipal and state rows stay unlinked.
    assert active.filter(lea__isnull=False).count() == 546
    assert not Agreement287g.objects.filter(lea__isnull=False).exclude(agency_kind="County").exists()
    for a in Agreement287g.objects.filter(lea__isnull=False).select_related("lea__jurisdiction", "county"):
        assert a.lea.jurisdiction_id == a.county_id
    pending = Agreement287g.objects.filter(status="PENDING")
    assert pending.filter(source_sheet="pendingAgencies07182025pm.xlsx").count() == 26
    assert not pending.filter(signed_on__isnull=False).exists()
    assert active.exclude(moa_url="").filter(moa_url__startswith="http").count() == active.exclude(moa_url="").count()


def test_field_offices(loaded: dict[str, int]) -> None:
    offices = Organization.objects.filter(kind=OrgKind.AGENCY_OFFICE)
    assert offices.count() == 25
    seattle = offices.get(name="Seattle Field Office")
    assert seattle.aor.name == "Seattle"
    assert not offices.filter(neutral_review_required=True).exists()
    assert not offices.filter(aor__isnull=True).exists()


def test_policies_have_citations_and_sources(loaded: dict[str, int]) -> None:
    keys = set(Policy.objects.values_list("key", flat=True))
    assert keys == {
        "CA-SB54",
        "CO-HB19-1124",
        "CO-SB25-276",
        "IL-TRUST",
        "OR-SANCTUARY-PROMISE",
        "OR-ORS-181A820",
        "WA-KWW",
        "NYC-LL58",
        "DENVER-PRACTICE",
    }
    for p in Policy.objects.all():
        assert p.citation and p.summary and p.source_url.startswith("http"), p.key
    assert Policy.objects.get(key="NYC-LL58").jurisdiction.fips == "36-new-york-city"
    assert Policy.objects.get(key="DENVER-PRACTICE").jurisdiction.fips == "08-denver"


def test_management_command_prints_counts() -> None:
    out = StringIO()
    call_command("load_reference", stdout=out)
    text = out.getvalue()
    assert "3,235" in text and "858" in text
    assert Jurisdiction.objects.filter(level=Level.COUNTY).count() == 3235


def test_a_policy_version_cannot_be_deleted_in_the_admin_and_its_approver_is_the_signed_in_user(db, client):
    from django.urls import reverse

    from holdtrack.accounts.models import Role
    from holdtrack.jurisdictions.models import Policy
    from tests.factories import UserFactory, make_world

    w = make_world()
    root = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")
    client.force_login(root)
    from tests.factories import make_policy

    policy = make_policy(w.lea.jurisdiction, "TEST-NODELETE")
    delete = client.post(reverse("admin:jurisdictions_policy_delete", args=[policy.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Policy.objects.filter(pk=policy.pk).exists()
    add = client.get(reverse("admin:jurisdictions_policy_add"))
    assert add.status_code == 200 and 'name="approved_by"' not in add.content.decode()


def test_a_reload_moves_bookings_with_their_county(loaded: dict[str, int]) -> None:
    from datetime import date

    from holdtrack.accounts.models import Role
    from holdtrack.custody import services as cs
    from tests.factories import T0, OrgFactory, UserFactory

    miami = AreaOfResponsibility.objects.get(name="Miami")
    Jurisdiction.objects.filter(fips="53033").update(aor=miami)  # as an earlier, wrong file had left it
    jail = Facility.objects.select_related("operator").get(operator__jurisdiction__fips="53033")  # the sheriff's
    clerk = UserFactory(
        role=Role.LEA_BOOKING, organization=OrgFactory(kind=OrgKind.LEA, name="King County LEA", lea=jail.operator)
    )
    subject = cs.subject_create(actor=clerk, first_name="Test", last_name="Reload", date_of_birth=date(1990, 1, 1))
    booking = cs.booking_create(actor=clerk, subject=subject, facility=jail, booking_number="R-1", booked_at=T0)
    assert booking.area_id == miami.pk
    load_reference()  # the county goes back to Seattle in one set-based upsert: no model is saved
    booking.refresh_from_db()
    assert booking.area is not None and booking.area.name == "Seattle"
