"""Migration reports.0003 on a database the earlier importer filled: personal data and other disallowed keys
leave ``extra``, every row gets its natural key, and a release imported twice (the issue: decompressed and
renamed) is stored once again, so the monthly counts are no longer doubled.

The earlier importer's state cannot be made through today's service (that is the point of the change), so the
test imports through the service and then puts back, with the ORM, what the old importer used to store."""

from __future__ import annotations

import importlib
from pathlib import Path

from django.apps import apps

from holdtrack.reports.foia import foia_detainers_import
from holdtrack.reports.foia_reports import detainer_counts
from holdtrack.reports.models import FoiaDetainer, FoiaImportRun
from tests.reports.test_foia_import import I247_2013, SNAKE_HEADER

migration = importlib.import_module("holdtrack.reports.migrations.0003_foia_allow_list_natural_keys")

ROW = f"{I247_2013},YORK COUNTY PRISON,PENNSYLVANIA,YORK,Lifted"
OLD_EXTRA = {"SSN": "SYNTH-SSN", "Date of Birth": "1901-01-01", "A-Number": "SYNTH-A", "(column 9)": "note"}


def _legacy(run: FoiaImportRun, extra: dict[str, str]) -> None:
    FoiaImportRun.objects.filter(pk=run.pk).update(content_sha256=None)
    FoiaDetainer.objects.filter(run=run).update(natural_key=None, extra=extra)


def _months() -> dict[str, int]:
    return {item["month"]: item["count"] for item in detainer_counts("month")}


def test_migration_purges_extra_keys_and_removes_the_second_copy_of_a_release(tmp_path: Path, db):
    path = tmp_path / "detainers.csv"
    path.write_text(f"{SNAKE_HEADER}\n2015-01-05,{ROW}\n2015-01-05,{ROW}\n2015-02-07,{ROW}\n", encoding="utf-8")
    first = foia_detainers_import(actor=None, path=path).run
    assert first is not None
    _legacy(first, OLD_EXTRA)
    # The old importer's second run of the same rows under another name: 3 more rows, counts doubled.
    second = FoiaImportRun.objects.get(pk=first.pk)
    second.pk, second.file_name, second.file_sha256 = None, "renamed.csv", "0" * 64
    second.save()
    copies = list(FoiaDetainer.objects.filter(run=first))
    for row in copies:
        row.pk, row.run, row.file_sha256, row.extra = None, second, second.file_sha256, {"Last Name": "SYNTH"}
    FoiaDetainer.objects.bulk_create(copies)
    icfo = tmp_path / "icfo.csv"
    icfo.write_text(
        "Detainer_ID,Detainer_Prepare_Date,Detainer_Detention_Facility_Code,Detainer_Lift_Reason,Gender\n"
        "D1,2019-03-04,HARRITX,,Male\n",
        encoding="utf-8",
    )
    third = foia_detainers_import(actor=None, path=icfo).run
    assert third is not None
    _legacy(third, {"Detainer_ID": "D1", "Gender": "Male", "Subject_Name": "SYNTH", "Birth_City": "SYNTH"})
    assert _months() == {"2015-01": 4, "2015-02": 2, "2019-03": 1}

    migration.purge_and_key(apps, None)

    assert _months() == {"2015-01": 2, "2015-02": 1, "2019-03": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert first.schema_drift["purged_columns"] == dict.fromkeys(OLD_EXTRA, 3)
    assert [row.extra for row in FoiaDetainer.objects.filter(run=first)] == [{}, {}, {}]
    assert not FoiaDetainer.objects.filter(run=second).exists()
    assert (second.rows_imported, second.rows_already_imported) == (0, 3)
    assert second.overlap["runs"] == {str(first.pk): 3} and second.overlap["removed_by_migration"] == 3
    assert FoiaDetainer.objects.get(run=third).extra == {"Detainer_ID": "D1", "Gender": "Male"}
    assert third.schema_drift["purged_columns"] == {"Subject_Name": 1, "Birth_City": 1}
    assert not FoiaDetainer.objects.filter(natural_key__isnull=True).exists()

    # The keys are the importer's: the same rows again (old runs have no content fingerprint) add nothing.
    again = tmp_path / "again.csv"
    again.write_text(f"{SNAKE_HEADER}\r\n2015-02-07,{ROW}\r\n2015-01-05,{ROW}\r\n2015-01-05,{ROW}\r\n")
    result = foia_detainers_import(actor=None, path=again)
    assert (result.repeat, result.rows_already_imported, result.already_imported) == ("rows", 3, first)
