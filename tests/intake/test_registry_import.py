"""``holdtrack import registry``: an agency's subject registry through the real command, from real files.

Happy path (subjects, identifiers, screening keys, audit event), idempotent re-run, CSV.gz / NDJSON /
Parquet, every refused input (nothing saved, the message names the row and the field), permission. People
are synthetic (``simulation.registry.registry_people``).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.accounts.models import Role
from holdtrack.audit.models import AuditEvent
from holdtrack.custody.models import IdentifierType, Subject, SubjectIdentifier
from holdtrack.intake.registry_read import COLUMNS
from holdtrack.screening.models import RegistryKey
from holdtrack.simulation.registry import a_number_for, fbi_ucn_for, registry_people
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIZE = 200


def people(size: int = SIZE, seed: int = 3, prefix: str = "K") -> list[dict[str, str]]:
    countries = {"Mexico": "MX", "Guatemala": "GTM", "El Salvador": "SV"}
    rows = []
    offset = ord(prefix) * 10_000  # identifiers unique across the files of one test
    for p in registry_people(size, seed):
        last, _, second = p.last_name.partition(" ")
        rows.append(
            {
                "subject_id": f"{prefix}{p.index:05d}",
                "first_name": p.first_name,
                "middle_name": p.middle_name,
                "last_name": last,
                "second_last_name": second,
                "dob": p.date_of_birth.isoformat(),
                "sex": p.sex,
                "birth_country": countries.get(p.birth_country, p.birth_country),
                "fbi_number": fbi_ucn_for(offset + p.index) if p.index % 2 else "",
                "a_number": a_number_for(offset + p.index) if p.index % 3 else "",
            }
        )
    return rows


def csv_text(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns or list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_csv(tmp_path: Path, rows: list[dict[str, Any]], name: str = "registry.csv", **kw: Any) -> Path:
    path = tmp_path / name
    path.write_text(csv_text(rows, **kw), encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "registry", str(path), "--synthetic", *args, stdout=out, stderr=err)
    return out.getvalue()


def refused(path: Path, *args: str) -> str:
    """The command's complaint (stderr and the error) for a file it must refuse; asserts nothing was saved."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "registry", str(path), *args, stdout=out, stderr=err)
    assert Subject.objects.count() == 0
    assert SubjectIdentifier.objects.count() == 0
    assert RegistryKey.objects.count() == 0
    assert "Traceback" not in err.getvalue()
    return err.getvalue() + "\n" + str(exc.value)


@pytest.mark.smoke
def test_csv_import_stores_subjects_identifiers_keys_and_one_audit_event(tmp_path):
    rows = people()
    out = run(write_csv(tmp_path, rows))
    assert Subject.objects.count() == SIZE
    assert RegistryKey.objects.count() == SIZE
    ids = SubjectIdentifier.objects
    assert ids.filter(type=IdentifierType.AGENCY_KEY).count() == SIZE
    assert ids.filter(type=IdentifierType.FBI_UCN).count() == sum(1 for r in rows if r["fbi_number"])
    assert ids.filter(type=IdentifierType.A_NUMBER).count() == sum(1 for r in rows if r["a_number"])
    assert "subjects created" in out and f"{SIZE}" in out

    first = rows[5]
    s = Subject.objects.get(identifiers__type=IdentifierType.AGENCY_KEY, identifiers__value=first["subject_id"])
    assert (s.first_name, s.last_name, s.second_last_name) == (
        first["first_name"],
        first["last_name"],
        first["second_last_name"],
    )
    assert s.date_of_birth.isoformat() == first["dob"]
    # Codes are stored as the English name every other subject carries.
    assert not Subject.objects.filter(birth_country__in=["MX", "GTM", "SV"]).exists()
    assert Subject.objects.filter(birth_country="Mexico").exists()
    key = RegistryKey.objects.get(subject=s)
    if first["second_last_name"]:
        assert key.last_tok2 != key.last_tok1

    events = AuditEvent.objects.filter(action="registry.import")
    assert events.count() == 1
    data = events.get().data
    assert data["subjects_created"] == SIZE and data["rows_read"] == SIZE and data["skipped_existing"] == 0

    # The ids came from the table's sequence: the next subject created the ordinary way follows them.
    nxt = Subject.objects.create(first_name="Next", last_name="Person")
    assert nxt.pk > Subject.objects.exclude(pk=nxt.pk).order_by("-pk").values_list("pk", flat=True).first()


def test_rerun_creates_nothing_and_counts_skipped(tmp_path):
    path = write_csv(tmp_path, people())
    run(path)
    before = (Subject.objects.count(), SubjectIdentifier.objects.count(), RegistryKey.objects.count())
    out = run(path)
    assert (Subject.objects.count(), SubjectIdentifier.objects.count(), RegistryKey.objects.count()) == before
    assert "skipped" in out
    assert AuditEvent.objects.filter(action="registry.import").order_by("-pk").first().data["skipped_existing"] == SIZE


def test_a_file_with_new_and_known_keys_adds_only_the_new(tmp_path):
    rows = people(60)
    run(write_csv(tmp_path, rows[:40], name="first.csv"))
    run(write_csv(tmp_path, rows, name="second.csv"))
    assert Subject.objects.count() == 60
    assert AuditEvent.objects.filter(action="registry.import").order_by("-pk").first().data["skipped_existing"] == 40


def test_gzip_ndjson_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    gz = tmp_path / "a.csv.gz"
    gz.write_bytes(gzip.compress(csv_text(people(30, prefix="G")).encode()))
    run(gz)
    nd = tmp_path / "b.ndjson.gz"
    nd.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in people(30, seed=4, prefix="N")).encode()))
    run(nd)
    rows = people(30, seed=5, prefix="P")
    table = pa.table({c: [r[c] for r in rows] for c in COLUMNS})
    pq.write_table(table, tmp_path / "c.parquet")
    run(tmp_path / "c.parquet")
    assert Subject.objects.count() == 90
    values = set(SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY).values_list("value", flat=True))
    assert {"G00000", "N00029", "P00010"} <= values


def test_parquet_dates_and_numbers_are_read_as_values(tmp_path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "subject_id": pa.array([101, 102], pa.int64()),
            "first_name": ["Ana", "Luis"],
            "last_name": ["Prueba", "Ensayo"],
            "dob": pa.array([datetime.date(1990, 1, 2), None], pa.date32()),
            "sex": ["F", None],
            "birth_country": ["HND", "Honduras"],
        }
    )
    pq.write_table(table, tmp_path / "typed.parquet")
    run(tmp_path / "typed.parquet")
    s = Subject.objects.get(identifiers__value="101")
    assert s.date_of_birth == datetime.date(1990, 1, 2) and s.birth_country == "Honduras"
    assert Subject.objects.get(identifiers__value="102").sex == "U"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"dob": "1990-13-01"}, "dob", "is not a date"),
        ({"dob": "01/02/1990"}, "dob", "is not an ISO date"),
        ({"sex": "Q"}, "sex", "is not one of"),
        ({"birth_country": "Narnia"}, "birth_country", "is not a country"),
        ({"a_number": "12AB"}, "a_number", "is not an A-number"),
        ({"fbi_number": "FB#1"}, "fbi_number", "is not 1–20 letters and digits"),
        ({"subject_id": ""}, "subject_id", "is empty"),
        ({"first_name": "", "last_name": ""}, "first_name", "both empty"),
        ({"first_name": "x" * 81}, "first_name", "longer than 80"),
    ],
)
def test_a_bad_value_refuses_the_file_and_names_row_and_field(tmp_path, change, field, reason):
    rows = people(20)
    rows[6].update(change)
    text = refused(write_csv(tmp_path, rows))
    assert f"registry.csv: row 8: {field}" in text  # header is line 1, rows[6] is line 8
    assert reason in text
    assert "nothing was imported" in text


def test_one_cause_over_many_rows_is_one_grouped_line(tmp_path):
    rows = people(50)
    for r in rows[10:40]:
        r["birth_country"] = "Narnia"
    text = refused(write_csv(tmp_path, rows))
    assert "registry.csv: 30 rows: birth_country 'Narnia' is not a country (rows 12, 13, 14, 15, 16, …)" in text
    assert text.count("Narnia") == 1


def test_duplicate_keys_within_the_file(tmp_path):
    rows = people(20)
    rows[9]["subject_id"] = rows[2]["subject_id"]
    rows[12]["fbi_number"] = rows[3]["fbi_number"] = "DUP123"
    text = refused(write_csv(tmp_path, rows))
    assert f"subject_id '{rows[2]['subject_id']}' appears in 2 rows (4, 11)" in text
    assert "fbi_number 'DUP123' appears in 2 rows (5, 14)" in text


def test_an_identifier_already_held_by_another_subject_refuses_the_file(tmp_path):
    rows = people(20)
    run(write_csv(tmp_path, rows[:5], name="first.csv"))
    fresh = people(10, seed=9, prefix="Z")
    fresh[4]["a_number"] = rows[1]["a_number"]
    path = write_csv(tmp_path, fresh, name="second.csv")
    with pytest.raises(CommandError):
        call_command("import", "registry", str(path), stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert (
        f"second.csv: row 6: a_number '{rows[1]['a_number']}' is already recorded for another subject" in err.getvalue()
    )
    assert Subject.objects.count() == 5


def test_missing_columns(tmp_path):
    text = refused(write_csv(tmp_path, people(5), columns=["subject_id", "first_name", "last_name", "sex"]))
    assert "missing columns dob, birth_country" in text


def test_a_column_twice_in_the_header(tmp_path):
    path = write_csv(tmp_path, people(3))
    text = path.read_text().replace("middle_name", "First Name", 1)
    path.write_text(text, encoding="utf-8")
    assert "column first_name appears more than once in the header" in refused(path)


def test_extra_columns_are_ignored(tmp_path):
    rows = [{**r, "notes": "kept out"} for r in people(3)]
    run(write_csv(tmp_path, rows, columns=[*COLUMNS, "notes"]))
    assert Subject.objects.count() == 3


def test_nul_bytes_are_field_problems(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(csv_text(people(5)).encode().replace(b"\n", b"\n\x00", 3)[:-1] + b"\n")
    assert "registry.csv: 3 rows: subject_id contains a NUL byte (rows 2, 3, 4)" in refused(path)


@pytest.mark.parametrize(
    ("codec", "bom", "named"),
    [
        ("utf-8", codecs.BOM_UTF8, "UTF-8 with BOM"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 LE with BOM"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 BE with BOM"),
        ("utf-16-le", b"", "UTF-16 LE (no byte-order mark)"),
    ],
)
def test_encodings_are_detected_and_named(tmp_path, codec, bom, named):
    rows = people(5)
    rows[1]["first_name"] = "José María"
    path = tmp_path / "registry.csv"
    path.write_bytes(bom + csv_text(rows).encode(codec))
    out = run(path)
    assert named in out
    assert Subject.objects.filter(first_name="José María").count() == 1
    assert Subject.objects.count() == 5


def test_latin1_is_read_and_named(tmp_path):
    rows = [r for r in people(60) if all(v.isascii() for v in r.values())][:5]
    rows[0]["last_name"] = "Muñoz"
    path = tmp_path / "registry.csv"
    path.write_bytes(csv_text(rows).encode("latin-1"))
    assert "Latin-1" in run(path)
    assert Subject.objects.filter(last_name="Muñoz").count() == 1


def test_unreadable_bytes_are_one_line(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(random.Random(5).randbytes(4000))
    text = refused(path)
    assert "registry.csv: cannot read as UTF-8, UTF-16 or Latin-1 (byte 0x" in text
    assert len([line for line in text.splitlines() if line.strip()]) == 1


def test_max_errors_stops_validation(tmp_path):
    rows = people(40)
    for r in rows:
        r["sex"] = "Q"
    path = write_csv(tmp_path, rows)
    text = refused(path, "--max-errors", "5")
    assert "stopped after 5 problems at row 6; the rest was not checked (--max-errors)" in text
    assert "5 bad rows of 5" in text


def test_mixed_encodings_name_the_line(tmp_path):
    rows = people(5)
    rows[0]["first_name"] = "José"  # valid UTF-8 accents in the file …
    rows[2]["first_name"] = "Mar\udce9a"  # … and a lone Latin-1 é byte once encoded below
    raw = csv_text(rows).encode("utf-8", "surrogateescape")
    path = tmp_path / "registry.csv"
    path.write_bytes(raw)
    assert "line 4 is not valid UTF-8 (byte 0xe9 at offset" in refused(path)


def test_ragged_rows_broken_json_and_unknown_format(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(csv_text(people(3)) + "K9,Only,Three\n", encoding="utf-8")
    assert "row 5: the row has 3 cells, the header has 10" in refused(path)
    nd = tmp_path / "registry.jsonl"
    nd.write_text(json.dumps(people(1)[0]) + "\n{not json\n", encoding="utf-8")
    assert "row 2: the row is not valid JSON" in refused(nd)
    assert "cannot tell the format" in refused(tmp_path / "registry.txt")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    assert "is not a readable Parquet file" in refused(tmp_path / "bad.parquet")
    (tmp_path / "bad.csv.gz").write_bytes(b"\x1f\x8b broken")
    assert "is not a readable gzip file" in refused(tmp_path / "bad.csv.gz")


def test_only_agency_staff_or_the_system_may_import(tmp_path):
    path = write_csv(tmp_path, people(5))
    UserFactory(username="clerk", role=Role.LEA_BOOKING)
    UserFactory(username="analyst", role=Role.ANALYST)
    for name in ("clerk", "analyst"):
        assert "may not import a subject registry" in refused(path, "--as", name)
    assert "No user named 'nobody'" in refused(path, "--as", "nobody")
    UserFactory(username="officer", role=Role.AGENCY_OFFICER)
    run(path, "--as", "officer")
    assert Subject.objects.count() == 5
    event = AuditEvent.objects.get(action="registry.import")
    assert event.actor.username == "officer"


def test_imported_people_are_found_by_screening(tmp_path):
    """The keys written are the ones screening probes: a booking of a registry person (compound surname in
    one field, as jails write it) retrieves the subject, and its FBI number finds it biometrically."""
    from holdtrack.screening import candidates, identifiers
    from holdtrack.screening.keys import keys_for

    rows = people(40)
    run(write_csv(tmp_path, rows))
    r = next(r for r in rows if r["second_last_name"] and r["fbi_number"])
    subject_id = SubjectIdentifier.objects.get(type=IdentifierType.AGENCY_KEY, value=r["subject_id"]).subject_id
    booking_keys = keys_for(
        first_name=r["first_name"],
        last_name=f"{r['last_name']} {r['second_last_name']}",
        date_of_birth=date.fromisoformat(r["dob"]),
        sex=r["sex"],
        birth_country="Mexico",
    )
    (found,) = candidates.retrieve([booking_keys])
    assert subject_id in {sid for sid, _ in found}
    assert identifiers.biometric([r["fbi_number"]]) == {r["fbi_number"]: subject_id}


def test_bom_header_variants_and_format_override(tmp_path):
    rows = people(10)
    # "Subject ID", "First Name", … "A Number": header names compare without case and punctuation.
    header = "\ufeff" + ",".join(c.replace("_", " ").title() for c in COLUMNS)
    body = csv_text(rows).split("\n", 1)[1]
    path = tmp_path / "export.txt"
    path.write_text(header + "\n" + body, encoding="utf-8")
    run(path, "--format", "csv")
    assert Subject.objects.count() == 10
    nd = tmp_path / "export.dat"
    nd.write_text("".join(json.dumps(r) + "\n" for r in people(5, seed=8, prefix="J")), encoding="utf-8")
    run(nd, "--format", "ndjson")
    assert Subject.objects.count() == 15


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_writer_of_the_same_key_is_a_sentence_not_a_traceback(tmp_path):
    """Another connection stores one of the file's keys after this import looked (uncommitted, then committed
    while the import's COPY waits on the unique index): the import fails whole, with a sentence."""
    import threading
    import time

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("needs two writers at once (PostgreSQL)")
    rows = people(20)
    path = write_csv(tmp_path, rows)
    holding = threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                s = Subject.objects.create(first_name="Other", last_name="Writer")
                SubjectIdentifier.objects.create(subject=s, type=IdentifierType.AGENCY_KEY, value=rows[7]["subject_id"])
                holding.set()
                time.sleep(1.5)  # the import checks meanwhile, finds nothing, and its COPY waits for this commit
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(10)
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "registry", str(path), stdout=io.StringIO(), stderr=err)
    thread.join(10)
    assert "another import stored some of the same identifiers meanwhile" in str(exc.value)
    assert "nothing was imported" in str(exc.value)
    assert Subject.objects.count() == 1  # the other writer's only


def test_one_name_is_enough_but_a_row_without_any_name_is_refused(tmp_path):
    rows = people(3)
    rows[0]["first_name"] = ""  # a mononym, or a source that left the given name out (FEBRL4 does)
    rows[1]["last_name"] = ""
    run(write_csv(tmp_path, rows))
    assert Subject.objects.count() == 3
    nameless = people(2, seed=9, prefix="N")
    nameless[1]["first_name"] = nameless[1]["last_name"] = ""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import", "registry", str(write_csv(tmp_path, nameless, name="nameless.csv")), stdout=out, stderr=err
        )
    assert "first_name and last_name are both empty" in err.getvalue()
    assert Subject.objects.count() == 3
