"""``holdtrack import registry FILE --layout LAYOUT.toml``: an agency's registry in its own column names, with
month-first birth dates, numeric sex codes, country codes and one whole-name column (synthetic people)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.custody.models import IdentifierType, Subject
from holdtrack.screening.models import RegistryKey

pytestmark = pytest.mark.django_db

LAYOUT = """
name = "county-registry"

[columns]
subject_id = "PERSON ID"
dob = "BIRTH DT"
sex = "SEX CD"
birth_country = "POB"
fbi_number = "FBI NO"

[formats]
dob = "%m/%d/%Y"

[codes.sex]
"1" = "M"
"2" = "F"
"9" = "U"

[codes.birth_country]
MX = "Mexico"
GT = "Guatemala"

[names]
column = "FULL NAME"
order = "last, first middle"
second_surname = true
"""

FILE = [
    "PERSON ID,FULL NAME,BIRTH DT,SEX CD,POB,FBI NO,NOTES",
    'P-1,"GARCIA LOPEZ, ANA MARIA",04/01/1990,2,MX,123456AB1,x',
    'P-2,"NGUYEN, MINH",12/31/1985,1,Viet Nam,,',
    'P-3,"SYNTHETIC, SAM",,9,GT,,',
]


def _files(tmp_path: Path, layout: str = LAYOUT, rows: list[str] = FILE) -> tuple[Path, Path]:
    lay, path = tmp_path / "registry.toml", tmp_path / "agency.csv"
    lay.write_text(layout, encoding="utf-8")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return lay, path


def test_registry_in_an_agencys_own_layout(tmp_path):
    lay, path = _files(tmp_path)
    out = io.StringIO()
    call_command("import", "registry", str(path), "--layout", str(lay), "--synthetic", stdout=out, stderr=io.StringIO())
    assert "subjects created" in out.getvalue()
    s = Subject.objects.get(identifiers__type=IdentifierType.AGENCY_KEY, identifiers__value="P-1")
    assert (s.last_name, s.second_last_name, s.first_name, s.middle_name) == ("GARCIA", "LOPEZ", "ANA", "MARIA")
    assert (s.date_of_birth, s.sex, s.birth_country) == (date(1990, 4, 1), "F", "Mexico")
    assert s.identifiers.filter(type=IdentifierType.FBI_UCN, value="123456AB1").exists()
    other = Subject.objects.get(identifiers__value="P-2")
    assert (other.last_name, other.first_name, other.sex, other.birth_country) == ("NGUYEN", "MINH", "M", "Vietnam")
    assert Subject.objects.get(identifiers__value="P-3").sex == "U"
    assert RegistryKey.objects.count() == 3


def test_registry_layout_problems_name_the_layout_key_and_the_format(tmp_path):
    lay, path = _files(tmp_path, layout=LAYOUT.replace('dob = "BIRTH DT"', 'birthday = "BIRTH DT"'))
    with pytest.raises(CommandError, match=r"registry.toml: columns.birthday: unknown registry column"):
        call_command("import", "registry", str(path), "--layout", str(lay), stdout=io.StringIO())
    lay, path = _files(tmp_path, layout=LAYOUT.replace('"9" = "U"', '"9" = "Q"'))
    with pytest.raises(CommandError, match=r"registry.toml: codes.sex.9: 'Q' is not one of M, F, U"):
        call_command("import", "registry", str(path), "--layout", str(lay), stdout=io.StringIO())
    rows = [*FILE[:2], 'P-9,"DOE, JAN",1990-04-01,2,MX,,', 'P-8,"ROE, KIM",1991-05-02,2,MX,,']
    lay, path = _files(tmp_path, rows=rows)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "registry", str(path), "--layout", str(lay), stdout=io.StringIO(), stderr=err)
    assert "agency.csv: row 3: dob '1990-04-01' is not a date (%m/%d/%Y)" in err.getvalue()
    assert not Subject.objects.exists()
