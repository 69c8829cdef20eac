"""``holdtrack import agencies``: LEAs and their facilities from a CSV through the real command.

Created, updated (old → new values in the audit event), unchanged on a re-run; every refused input saves
nothing and names the row and the field; only an administrator or the system account may import. ORIs and
facility codes here are made up for the tests.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.accounts.models import Role
from holdtrack.audit.models import AuditEvent
from holdtrack.jurisdictions.agencies_import import COLUMNS
from holdtrack.jurisdictions.models import AgencyType, Facility, LawEnforcementAgency, Level
from tests.factories import CountyFactory, FacilityFactory, LeaFactory, StateFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def counties(db):
    harris = CountyFactory()  # 48201, TX
    wa = StateFactory(name="Washington", state_abbr="WA", fips="53", timezone="America/Los_Angeles")
    king = CountyFactory(name="King County", state_abbr="WA", fips="53033", parent=wa, timezone="America/Los_Angeles")
    return harris, king


def agency_rows() -> list[dict[str, str]]:
    return [
        {
            "ori": "TX2010100",
            "name": "Harris County Sheriff's Office",
            "state": "TX",
            "county_fips": "48201",
            "facility_code": "TXHCJ01",
            "facility_name": "Harris County Jail, 1200 Baker",
            "time_zone": "America/Chicago",
        },
        {
            "ori": "TX2010100",
            "name": "Harris County Sheriff's Office",
            "state": "TX",
            "county_fips": "48201",
            "facility_code": "TXHCJ02",
            "facility_name": "Harris County Jail, 701 San Jacinto",
            "time_zone": "America/Chicago",
        },
        {
            "ori": "WA0330200",
            "name": "Exampleton Police Department",
            "state": "WA",
            "county_fips": "53033",
            "facility_code": "WAEXPD1",
            "facility_name": "Exampleton City Jail",
            "time_zone": "America/Los_Angeles",
        },
    ]


def write(tmp_path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns or list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "agencies.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import", "agencies", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(path: Path, *args: str) -> str:
    before = (LawEnforcementAgency.objects.count(), Facility.objects.count())
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "agencies", str(path), *args, stdout=io.StringIO(), stderr=err)
    assert (LawEnforcementAgency.objects.count(), Facility.objects.count()) == before
    return err.getvalue() + "\n" + str(exc.value)


@pytest.mark.smoke
def test_creates_agencies_and_facilities(tmp_path):
    out = run(write(tmp_path, agency_rows()))
    harris = LawEnforcementAgency.objects.get(ori="TX2010100")
    assert harris.agency_type == AgencyType.SHERIFF and not harris.ori_synthetic
    assert harris.jurisdiction.fips == "48201"
    assert LawEnforcementAgency.objects.get(ori="WA0330200").agency_type == AgencyType.LOCAL_POLICE
    assert set(harris.facilities.values_list("code", flat=True)) == {"TXHCJ01", "TXHCJ02"}
    assert Facility.objects.get(code="WAEXPD1").timezone == "America/Los_Angeles"
    assert "agencies" in out and "facilities" in out
    event = AuditEvent.objects.get(action="agencies.import")
    assert event.data["agencies"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert event.data["facilities"] == {"created": 3, "updated": 0, "unchanged": 0}


def test_rerun_changes_nothing(tmp_path):
    path = write(tmp_path, agency_rows())
    run(path)
    run(path)
    event = AuditEvent.objects.filter(action="agencies.import").order_by("-pk").first()
    assert event.data["agencies"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert event.data["facilities"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert event.data["changes"]["agencies"]["updated"] == {}
    assert LawEnforcementAgency.objects.count() == 2 and Facility.objects.count() == 3


def test_existing_rows_are_updated_with_old_and_new_values_recorded(tmp_path, counties):
    harris, _ = counties
    lea = LeaFactory(ori="TX2010100", name="Harris Co. SO", jurisdiction=harris)
    FacilityFactory(code="TXHCJ01", name="Old Jail", operator=lea, timezone="America/Chicago")
    run(write(tmp_path, agency_rows()))
    lea.refresh_from_db()
    assert lea.name == "Harris County Sheriff's Office"
    assert lea.agency_type == AgencyType.SHERIFF  # kept
    assert Facility.objects.get(code="TXHCJ01").name == "Harris County Jail, 1200 Baker"
    changes = AuditEvent.objects.get(action="agencies.import").data["changes"]
    assert changes["agencies"]["updated"]["TX2010100"]["name"] == ["Harris Co. SO", "Harris County Sheriff's Office"]
    assert changes["facilities"]["updated"]["TXHCJ01"]["name"] == ["Old Jail", "Harris County Jail, 1200 Baker"]
    assert sorted(changes["facilities"]["created"]) == ["TXHCJ02", "WAEXPD1"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"ori": "TX20101"}, "ori", "is not an ORI"),
        ({"ori": "WA0330200"}, "ori", "belongs to WA, but state is 'TX'"),
        ({"state": "ZZ", "ori": "ZZ2010100"}, "state", "is not a U.S. state"),
        ({"county_fips": "482"}, "county_fips", "is not 5 digits"),
        ({"county_fips": "48999"}, "county_fips", "is not a known county"),
        ({"county_fips": "53033"}, "county_fips", "is a county of WA, not of TX"),
        ({"time_zone": "America/Houston"}, "time_zone", "is not an IANA time zone"),
        ({"facility_code": "TX HCJ"}, "facility_code", "is not 1–12 letters"),
        ({"facility_name": ""}, "facility_name", "is empty"),
        ({"name": "Another Name"}, "name", 'differs from "Harris County Sheriff\'s Office" in row 2 of the same ori'),
        ({"facility_code": "TXHCJ01"}, "facility_code", "appears in 2 rows (2, 3)"),
    ],
)
def test_a_bad_row_refuses_the_file_and_names_row_and_field(tmp_path, change, field, reason):
    rows = agency_rows()
    rows[1].update(change)
    text = refused(write(tmp_path, rows))
    assert f"agencies.csv: row {2 if field == 'facility_code' and 'appears' in reason else 3}: {field}" in text
    assert reason in text
    assert "nothing was imported" in text
    assert not AuditEvent.objects.filter(action="agencies.import").exists()


def test_unreadable_files(tmp_path):
    path = write(tmp_path, agency_rows(), columns=["ori", "name", "state"])
    assert "missing columns county_fips, facility_code, facility_name, time_zone" in refused(path)
    path.write_bytes(b"ori,name\n\xe9\x01\x02" * 20)
    assert "agencies.csv: cannot read as UTF-8, UTF-16 or Latin-1 (byte 0x01 at offset 10)" in refused(path)
    path.write_text(",".join([*COLUMNS, "ORI"]) + "\n", encoding="utf-8")
    assert "column ori appears more than once in the header" in refused(path)
    path.write_bytes(b"ori,name\x00\n")
    assert "line 1: the header contains a NUL byte" in refused(path)


def test_utf16_and_nul_in_a_field(tmp_path):
    rows = agency_rows()
    path = write(tmp_path, rows)
    text = path.read_text(encoding="utf-8")
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert "UTF-16 LE with BOM" in run(path)
    assert LawEnforcementAgency.objects.filter(ori=rows[0]["ori"]).exists()
    path.write_bytes(text.replace(rows[1]["facility_name"], "Annex\x00B", 1).encode())
    assert "agencies.csv: row 3: facility_name contains a NUL byte" in refused(path)


def test_reference_data_must_be_loaded_first(tmp_path, counties):
    for county in counties:
        county.delete()
    from holdtrack.jurisdictions.models import Jurisdiction

    Jurisdiction.objects.filter(level=Level.STATE).delete()
    assert "run 'holdtrack load_reference' first" in refused(write(tmp_path, agency_rows()))


def test_only_an_administrator_or_the_system(tmp_path):
    path = write(tmp_path, agency_rows())
    for role in (Role.AGENCY_OFFICER, Role.LEA_BOOKING, Role.ANALYST):
        UserFactory(username=f"u-{role}", role=role)
        assert "may not import law enforcement agencies" in refused(path, "--as", f"u-{role}")
    UserFactory(username="admin1", role=Role.ADMIN)
    run(path, "--as", "admin1")
    assert AuditEvent.objects.get(action="agencies.import").actor.username == "admin1"


def test_max_errors_stops_validation(tmp_path):
    rows = [{**agency_rows()[0], "facility_code": f"F{i}", "time_zone": "Mars/Olympus"} for i in range(30)]
    text = refused(write(tmp_path, rows), "--max-errors", "4")
    assert "agencies.csv: stopped after 4 problems at row 5; the rest was not checked (--max-errors)" in text
    assert "4 bad rows of 30" in text
