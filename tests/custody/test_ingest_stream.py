"""``holdtrack import bookings`` on files as agencies send them: the encoding detected from the bytes and named
(UTF-8 with BOM, UTF-16, Latin-1), unreadable bytes in one line, a NUL byte as a field problem, validation that
stops at ``--max-errors`` without reading the rest, and a crashed run marked FAILED, then resumed."""

from __future__ import annotations

import codecs
import io
import json
import random
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.custody.ingest import run as ingest_run
from holdtrack.custody.ingest.run import BookingImportError
from holdtrack.custody.models import Booking, BookingImportRun, FeedImportStatus, Subject
from holdtrack.intake.bookings import bookings_import, screen_chunk
from tests.custody.test_ingest import HEADER, _row

pytestmark = pytest.mark.django_db


def _feed(world, rows: int = 3, **over: str) -> str:
    return "\n".join([HEADER] + [_row(world, f"E{i}", **over) for i in range(rows)]) + "\n"


def _import(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "bookings", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused(path: Path, *args: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "bookings", str(path), *args, stdout=io.StringIO(), stderr=err)
    assert "Traceback" not in err.getvalue()
    return err.getvalue() + "\n" + str(exc.value)


@pytest.mark.parametrize(
    ("codec", "bom", "named"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", codecs.BOM_UTF8, "UTF-8 with BOM"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 LE with BOM"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 BE with BOM"),
        ("utf-16-le", b"", "UTF-16 LE (no byte-order mark)"),
        ("latin-1", b"", "Latin-1 (Windows-1252)"),
    ],
)
def test_the_encoding_is_detected_named_and_stored(world, tmp_path, codec, bom, named):
    path = tmp_path / "feed.csv"
    path.write_bytes(bom + _feed(world, first_name="José", last_name="Muñoz").encode(codec))
    out, _ = _import(path)
    assert re.search(rf"│ encoding\s+│ {re.escape(named)}\s+│", out), out
    run = BookingImportRun.objects.get()
    assert run.encoding == named and run.status == FeedImportStatus.COMPLETE
    # The accents arrive intact, whatever the bytes were.
    assert Subject.objects.filter(first_name="José", last_name="Muñoz").count() == 3


def test_random_bytes_are_one_line_naming_the_byte(world, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(random.Random(11).randbytes(5000))
    text = _refused(path)
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("feed.csv: cannot read as UTF-8, UTF-16 or Latin-1 (byte 0x")
    assert not BookingImportRun.objects.exists()


def test_a_given_encoding_is_used(world, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(_feed(world, first_name="José").encode("latin-1"))
    text = _refused(path, "--encoding", "utf-8")
    assert "feed.csv: line 2: byte 0xe9 at offset" in text and "is not UTF-8" in text
    out, _ = _import(path, "--encoding", "latin-1")
    assert "Latin-1" in out and Subject.objects.filter(first_name="José").count() == 3


def test_a_nul_byte_in_a_name_is_a_field_problem(world, tmp_path):
    path = tmp_path / "feed.csv"
    lines = [HEADER, _row(world, "N1"), _row(world, "N2", first_name="An\x00a"), _row(world, "N3")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = _refused(path)
    assert "feed.csv:2:first_name: contains a NUL byte" in text
    assert not Booking.objects.exists() and not BookingImportRun.objects.exists()
    # Allowed as a bad row: the others are imported and the run stores the problem.
    _import(path, "--max-bad-rows", "1")
    run = BookingImportRun.objects.get()
    assert run.status == FeedImportStatus.PARTIAL and run.rows_imported == 2
    assert run.errors == ["feed.csv:2:first_name: contains a NUL byte"]


def test_a_nul_in_ndjson_is_a_field_problem(world, tmp_path):
    keys = HEADER.split(",")
    good = dict(zip(keys, _row(world, "J1").split(","), strict=True))
    bad = {**dict(zip(keys, _row(world, "J2").split(","), strict=True)), "last_name": "Ro\u0000sa"}
    path = tmp_path / "feed.ndjson"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    assert "feed.ndjson:2:last_name: contains a NUL byte" in _refused(path)


def test_max_errors_stops_validation_without_reading_the_rest(world, tmp_path):
    # Five bad rows, then more than the encoding sample of good rows, then a byte that is not UTF-8: a reader
    # that went on would fail on that byte instead of stopping.
    bad = [_row(world, f"X{i}", sex="Q") for i in range(5)]
    good = [_row(world, f"G{i}") for i in range(8000)]
    path = tmp_path / "feed.csv"
    path.write_bytes(("\n".join([HEADER, *bad, *good]) + "\n").encode() + b"\xff\xfe,broken\n")
    assert path.stat().st_size > (1 << 20)
    text = _refused(path, "--max-errors", "3")
    assert "feed.csv: stopped after 3 problems at row 3; the rest was not checked (--max-errors)" in text
    assert "byte 0xff" not in text
    result = bookings_import(path=path, max_errors=3)
    assert result.rows_read == 3 and result.refused.startswith("stopped after 3 problems")
    # Without a limit the whole file is read, up to the byte that ends it.
    assert "line 8007: byte 0xff" in _refused(path, "--max-errors", "0")
    assert not Booking.objects.exists() and not BookingImportRun.objects.exists()


def test_the_default_limit_is_one_hundred_problems(world, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(_feed(world, rows=150, sex="Q"), encoding="utf-8")
    result = bookings_import(path=path)
    assert result.stopped == "stopped after 100 problems at row 100; the rest was not checked (--max-errors)"
    assert result.rows_read == 100 and result.run is None


class Crash(Exception):
    pass


@pytest.mark.parametrize(
    ("raised", "reason"), [(Crash("disk full"), "Crash: disk full"), (KeyboardInterrupt(), "interrupted (Ctrl-C)")]
)
def test_a_crash_while_saving_marks_the_run_failed_and_a_rerun_resumes(world, tmp_path, raised, reason):
    path = tmp_path / "feed.csv"
    path.write_text(_feed(world, rows=6), encoding="utf-8")
    calls: list[int] = []

    def screen(actor, bookings):  # type: ignore[no-untyped-def]
        calls.append(len(bookings))
        if len(calls) == 2:
            raise raised
        return screen_chunk(actor, bookings)

    with pytest.raises(type(raised)):
        ingest_run.bookings_import(path=path, chunk_size=2, screen=screen)
    run = BookingImportRun.objects.get()
    assert (run.status, run.failure, run.chunks_committed) == (FeedImportStatus.FAILED, reason, 1)
    assert Booking.objects.count() == 2

    again = bookings_import(path=path, chunk_size=2)
    assert again.resumed and again.run is not None and again.run.pk == run.pk
    assert again.run.status == FeedImportStatus.COMPLETE and again.run.options["failures"] == [reason]
    assert Booking.objects.count() == 6


def test_a_file_changed_between_validation_and_writing_fails_the_run(world, tmp_path, monkeypatch):
    # A file over the kept rows is read again for writing (a small one is written from what validation kept).
    monkeypatch.setattr(ingest_run, "KEEP_VALIDATED_ROWS", 1)
    path = tmp_path / "feed.csv"
    # Blank lines (skipped) put rows 3 and 4 past the first megabyte, which the writing pass reads at once.
    padding = "\n" * (1 << 21)

    def feed(**over: str) -> str:
        return (
            "\n".join([HEADER, _row(world, "C0"), _row(world, "C1")])
            + padding
            + "\n".join([_row(world, "C2", **over), _row(world, "C3", **over)])
            + "\n"
        )

    path.write_text(feed(), encoding="utf-8")

    def screen(actor, bookings):  # type: ignore[no-untyped-def]
        # Another program rewrites the file while the first chunk is being saved.
        path.write_text(feed(sex="Q"), encoding="utf-8")
        return screen_chunk(actor, bookings)

    with pytest.raises(BookingImportError, match="row 3 changed after it was validated"):
        ingest_run.bookings_import(path=path, chunk_size=2, screen=screen)
    run = BookingImportRun.objects.get()
    assert run.status == FeedImportStatus.FAILED and "row 3 changed" in run.failure
    assert Booking.objects.count() == 2


def test_a_small_file_is_written_as_it_was_validated(world, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("\n".join([HEADER, *(_row(world, f"K{i}") for i in range(4))]) + "\n", encoding="utf-8")

    def screen(actor, bookings):  # type: ignore[no-untyped-def]
        path.write_text(HEADER + "\n", encoding="utf-8")  # rewritten meanwhile: not read again
        return screen_chunk(actor, bookings)

    result = ingest_run.bookings_import(path=path, chunk_size=2, screen=screen)
    assert result.run is not None and result.run.status == FeedImportStatus.COMPLETE and result.chunks == 2
    assert sorted(Booking.objects.values_list("booking_number", flat=True)) == ["K0", "K1", "K2", "K3"]


def test_a_header_that_repeats_a_column_is_refused(world, tmp_path):
    path = tmp_path / "feed.csv"
    lines = [HEADER + ",sex", *(_row(world, f"R{i}") + ",M" for i in range(2))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _refused(path)
    assert "feed.csv: column sex appears more than once in the header (columns" in message
    assert Booking.objects.count() == 0


def test_inspect_reads_and_names_the_encoding(world, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + _feed(world, first_name="Zoë").encode("utf-16-le"))
    out, _ = _import(path, "--inspect")
    assert out.startswith(f"feed.csv: csv, UTF-16 LE with BOM, {len(HEADER.split(','))} columns\nheader: agency_ori,")
    assert "Zoë" in out


def test_a_run_left_running_on_another_host_is_taken_over_only_when_asked(world, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(_feed(world, rows=4), encoding="utf-8")

    def screen(actor, bookings):  # type: ignore[no-untyped-def]
        raise Crash("power cut")

    with pytest.raises(Crash):
        ingest_run.bookings_import(path=path, chunk_size=2, screen=screen)
    # As another machine would have left it: RUNNING, owned by a process this host cannot probe.
    run = BookingImportRun.objects.get()
    BookingImportRun.objects.filter(pk=run.pk).update(
        status=FeedImportStatus.RUNNING, options={**run.options, "host": "other-host", "pid": 4242}
    )
    text = _refused(path)
    assert f"run {run.pk} is importing this file now (process 4242 on other-host)" in text
    assert "--take-over" in text
    _import(path, "--take-over")
    run.refresh_from_db()
    assert run.status == FeedImportStatus.COMPLETE and Booking.objects.count() == 4
    assert run.options["failures"] == ["taken over from process 4242 on other-host (--take-over)"]


@pytest.mark.django_db(transaction=True)
def test_a_run_is_marked_failed_though_the_stop_broke_the_connection(world):
    """SIGTERM in the middle of a query leaves the connection unusable; the run is marked FAILED all the same."""
    from django.db import connection
    from django.utils import timezone

    from holdtrack.custody.ingest.lifecycle import owner, run_fail

    run = BookingImportRun.objects.create(
        file_name="feed.csv", file_sha256="0" * 64, format="csv", mapping="canonical", started_at=timezone.now(),
        finished_at=timezone.now(), status=FeedImportStatus.RUNNING, options=owner(),
    )  # fmt: skip
    connection.ensure_connection()
    connection.connection.close()  # the driver's connection, behind Django's back: the next query fails
    run_fail(run, "stopped by SIGTERM")
    run.refresh_from_db()
    assert run.status == FeedImportStatus.FAILED and run.failure == "stopped by SIGTERM"
