"""An import killed half-way (SIGKILL of the real ``holdtrack import bookings`` process) leaves whole chunks only,
and a re-run completes it: the final state equals a clean import (no duplicates, no half rows). While the process
lives, a second import of the file is refused; once it is gone, its RUNNING run is found stale, marked FAILED
and resumed. SIGTERM marks the run FAILED itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from holdtrack.audit.models import CaseType, Transition
from holdtrack.audit.services import audit_verify
from holdtrack.custody.ingest.run import BookingImportError
from holdtrack.custody.ingest.synthetic import write_canonical_feed
from holdtrack.custody.models import Booking, BookingImportRow, BookingImportRun, FeedEvent, FeedImportStatus, Subject
from holdtrack.intake.bookings import bookings_import

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process shares the test database"),
]

ROWS = 12_000
CHUNK = 100
POLL_LIMIT_S = 300  # a bound so that a broken child cannot hang the suite; not a timing assertion


def _child_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url}


def _other_sessions() -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cur.fetchone()[0])


def _committed_chunks() -> int:
    run = BookingImportRun.objects.order_by("pk").first()
    return run.chunks_committed if run else 0


def test_killed_import_is_rerun_to_completion(tmp_path: Path) -> None:
    from tests.factories import make_world

    world = make_world()
    path = write_canonical_feed(
        tmp_path / "feed.csv", rows=ROWS, ori=world.lea.ori, facility_code=world.facility.code, seed=7
    )
    log = (tmp_path / "child.log").open("w+b")  # a file, not a pipe: a full pipe would stall the child
    child = subprocess.Popen(  # noqa: S603 - our own command, a fixed argument list
        [sys.executable, "-m", "holdtrack", "import", "bookings", str(path), "--chunk-size", str(CHUNK)],
        env=_child_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + POLL_LIMIT_S
        while _committed_chunks() < 3 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() is None, (
            f"the import ended before it could be killed: {(tmp_path / 'child.log').read_bytes()[-2000:]!r}"
        )
        # The same file while its import runs: refused, naming the process, nothing touched.
        with pytest.raises(BookingImportError, match=f"is importing this file now \\(process {child.pid} "):
            bookings_import(path=path, chunk_size=CHUNK)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
        log.close()
    assert child.returncode == -signal.SIGKILL
    # Nothing of the killed import stays: its screening worker process (screening/prefetch.py) ends with it and
    # closes its connection to the database.
    deadline = time.monotonic() + POLL_LIMIT_S
    while _other_sessions() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _other_sessions() == 0

    # Killed: the run is still RUNNING, and only whole chunks are stored.
    run = BookingImportRun.objects.get()
    assert run.status == FeedImportStatus.RUNNING
    done = run.chunks_committed
    assert 3 <= done < ROWS // CHUNK
    assert Booking.objects.count() == Subject.objects.count() == done * CHUNK
    assert not Booking.objects.exclude(feed_rows__event=FeedEvent.BOOKING).exists()
    assert Transition.objects.filter(case_type=CaseType.BOOKING, name="book").count() == done * CHUNK

    # Re-run (the same file): the finished chunks are skipped, the rest is written.
    result = bookings_import(path=path, chunk_size=CHUNK)
    assert result.run is not None and result.run.pk == run.pk and result.already_imported is None
    assert result.run.status == FeedImportStatus.COMPLETE and result.resumed
    # The stale run was recognised as such: its process had ended.
    assert result.run.options["failures"] == [f"process {child.pid} ended without finishing (killed)"]
    assert result.events_created[FeedEvent.BOOKING] == ROWS - done * CHUNK

    # Equal to a clean import of the file: one booking, subject and book transition per row, one provenance
    # row per event, no booking without its provenance.
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    eligible = sum(bool(line.split(",")[header.index("release_eligible_at")]) for line in lines)
    released = sum(bool(line.split(",")[header.index("released_at")]) for line in lines)
    assert Booking.objects.count() == Subject.objects.count() == ROWS
    per_event = {
        e: BookingImportRow.objects.filter(event=e).count()
        for e in (FeedEvent.BOOKING, FeedEvent.RELEASE_ELIGIBILITY, FeedEvent.RELEASE)
    }
    assert per_event == {FeedEvent.BOOKING: ROWS, FeedEvent.RELEASE_ELIGIBILITY: eligible, FeedEvent.RELEASE: released}
    assert Transition.objects.filter(case_type=CaseType.BOOKING).count() == ROWS + eligible + released
    assert not Booking.objects.exclude(feed_rows__event=FeedEvent.BOOKING).exists()
    assert Booking.objects.filter(released_at__isnull=False).count() == released
    assert audit_verify().ok
    assert bookings_import(path=path).already_imported is not None


def test_sigterm_marks_the_run_failed_and_a_rerun_completes_it(tmp_path: Path) -> None:
    from tests.factories import make_world

    world = make_world()
    path = write_canonical_feed(
        tmp_path / "feed.csv", rows=ROWS, ori=world.lea.ori, facility_code=world.facility.code, seed=8
    )
    log_path = tmp_path / "child.log"
    log = log_path.open("w+b")
    child = subprocess.Popen(  # noqa: S603 - our own command, a fixed argument list
        [sys.executable, "-m", "holdtrack", "import", "bookings", str(path), "--chunk-size", str(CHUNK)],
        env=_child_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + POLL_LIMIT_S
        while _committed_chunks() < 3 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() is None, f"the import ended before SIGTERM: {log_path.read_bytes()[-2000:]!r}"
        os.kill(child.pid, signal.SIGTERM)
    finally:
        child.wait()
        log.close()
    said = log_path.read_text(encoding="utf-8", errors="replace")
    assert child.returncode == 143, said[-2000:]
    assert "feed.csv: stopped by SIGTERM; the chunks committed are kept, run the command again to resume" in said
    assert "Traceback" not in said

    run = BookingImportRun.objects.get()
    assert run.status == FeedImportStatus.FAILED and run.failure == "stopped by SIGTERM"
    done = run.chunks_committed
    assert Booking.objects.count() == done * CHUNK

    result = bookings_import(path=path, chunk_size=CHUNK)
    assert result.resumed and result.run is not None and result.run.pk == run.pk
    assert result.run.status == FeedImportStatus.COMPLETE and result.run.options["failures"] == ["stopped by SIGTERM"]
    assert Booking.objects.count() == Subject.objects.count() == ROWS
    assert audit_verify().ok
