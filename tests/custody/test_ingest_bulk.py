"""The chunked, set-based write path of ``holdtrack import bookings`` (ADR 0011): chunk transactions, one audit
event per chunk, transitions and provenance of every event, the booking safeguard, existing bookings through the
services (detainer consequences), screening inside the pipeline, resume of an interrupted run, retyped columns."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from holdtrack.audit.models import AuditEvent, CaseType, Channel, Transition
from holdtrack.audit.services import audit_verify
from holdtrack.cases.models import DetainerState
from holdtrack.custody.ingest.bulk import keys_digest
from holdtrack.custody.models import (
    Booking,
    BookingImportRow,
    BookingImportRun,
    CitizenshipClaim,
    ClaimBasis,
    FeedEvent,
    FeedImportStatus,
    IdentifierType,
    IdentityMatch,
    MatchBasis,
    Subject,
)
from holdtrack.desks import on_steps
from holdtrack.desks.models import Notification, NotificationKind
from holdtrack.intake.bookings import bookings_import
from holdtrack.kernel import dispatch
from holdtrack.screening.services import registry_subject_add
from tests.custody.test_ingest import HEADER, _row, _write
from tests.dispatch_spy import heard
from tests.factories import T0, book, hold_eligible

EXTRA = ",fbi_number,us_passport_on_file,citizenship_asserted"


def _extra(line: str, fbi: str = "", passport: str = "", asserted: str = "") -> str:
    return f"{line},{fbi},{passport},{asserted}"


@pytest.mark.django_db
def test_chunks_write_transitions_provenance_and_one_audit_event_each(world, tmp_path):
    lines = [HEADER + EXTRA]
    for i in range(5):
        released = {} if i % 2 else {"released_at": "", "release_type": ""}
        lines.append(_extra(_row(world, f"C{i}", **released), fbi=f"{i}23456AB7" if i == 0 else ""))
    path = _write(tmp_path, "feed.csv", lines)
    result = bookings_import(path=path, chunk_size=2)
    assert result.run is not None and result.run.status == FeedImportStatus.COMPLETE
    assert result.chunks == 3 and result.run.chunks_committed == 3
    assert result.events_created == {"BOOKING": 5, "RELEASE_ELIGIBILITY": 5, "RELEASE": 2}
    assert result.run.events_created == 12

    # Every booking has its transitions in order (book seq 1 …) and a provenance row per event.
    for booking in Booking.objects.all():
        steps = list(
            Transition.objects.filter(case_type=CaseType.BOOKING, case_id=booking.pk).values_list("seq", "name")
        )
        expected = [(1, "book"), (2, "release_eligible")] + ([(3, "release")] if booking.released_at else [])
        assert steps == expected
        events = set(booking.feed_rows.values_list("event", flat=True))
        assert FeedEvent.BOOKING in events and (FeedEvent.RELEASE in events) == (booking.released_at is not None)
    assert Booking.objects.get(booking_number="C0").fbi_number == "023456AB7"

    # One hash-chained audit event per chunk, with the digest of the chunk's idempotency keys.
    chunks = list(AuditEvent.objects.filter(action="booking.import_chunk").order_by("id"))
    assert len(chunks) == 3 and not AuditEvent.objects.filter(action="booking.create").exists()
    assert [c.data["chunk"] for c in chunks] == [1, 2, 3]
    assert [c.data["rows"] for c in chunks] == [2, 2, 1]
    first = chunks[0].data
    keys = [
        (world.lea.ori, n, e)
        for n, events in (
            ("C0", ("BOOKING", "RELEASE_ELIGIBILITY")),
            ("C1", ("BOOKING", "RELEASE_ELIGIBILITY", "RELEASE")),
        )
        for e in events
    ]
    assert first["keys_sha256"] == keys_digest(keys) and first["run_id"] == result.run.pk
    c0, c1 = Booking.objects.get(booking_number="C0"), Booking.objects.get(booking_number="C1")
    assert (first["first_booking_id"], first["last_booking_id"]) == (min(c0.pk, c1.pk), max(c0.pk, c1.pk))
    assert audit_verify().ok


@pytest.mark.django_db
def test_booking_data_indicating_citizenship_opens_a_claim(world, tmp_path):
    path = _write(
        tmp_path,
        "feed.csv",
        [
            HEADER + EXTRA,
            _extra(_row(world, "U1", birth_country="United States")),
            _extra(_row(world, "U2"), passport="yes"),
            _extra(_row(world, "U3"), asserted="1"),
            _extra(_row(world, "U4")),
        ],
    )
    result = bookings_import(path=path)
    assert result.claims_opened == 3
    bases = dict(CitizenshipClaim.objects.values_list("subject__bookings__booking_number", "basis"))
    assert bases == {"U1": ClaimBasis.US_BIRTHPLACE, "U2": ClaimBasis.US_PASSPORT, "U3": ClaimBasis.ASSERTED}
    u2 = Booking.objects.get(booking_number="U2")
    assert u2.us_passport_on_file and not u2.citizenship_asserted
    for claim in CitizenshipClaim.objects.all():
        assert Transition.objects.filter(case_type=CaseType.CITIZENSHIP_CLAIM, case_id=claim.pk, seq=1).exists()


@pytest.mark.django_db
def test_a_claim_a_feed_opens_reaches_the_desks_as_one_the_services_open(world, tmp_path):
    """Set-based claims go through the step dispatcher as the services' do: the desks' claim-opened listener
    hears both, with the same facts. (Its notifications go to the parties of the subject's open detainers; a
    feed's new subject has none, so neither path writes one here.)"""
    assert dispatch.handlers(CaseType.CITIZENSHIP_CLAIM, "open") == (on_steps.on_claim_opened,)
    path = _write(
        tmp_path,
        "feed.csv",
        [HEADER + EXTRA, _extra(_row(world, "U1"), asserted="1"), _extra(_row(world, "U2"))],
    )
    # A spy registered after the desks' listener is handed what the listener was handed.
    with heard(case_types=[CaseType.CITIZENSHIP_CLAIM], names=["open"]) as by_feed:
        assert bookings_import(path=path).claims_opened == 1
    with heard(case_types=[CaseType.CITIZENSHIP_CLAIM], names=["open"]) as by_services:
        single = book(world, citizenship_asserted=True)
    ((bulk,),), ((one,),) = by_feed, by_services
    claim = CitizenshipClaim.objects.get(subject__bookings__booking_number="U1")
    assert (bulk.pk, bulk.case_id, bulk.data["subject_id"]) == (
        Transition.objects.get(case_type=CaseType.CITIZENSHIP_CLAIM, case_id=claim.pk).pk,
        claim.pk,
        claim.subject_id,
    )
    assert one.data["subject_id"] == single.subject_id
    for t in (bulk, one):
        assert (t.case_type, t.name, t.seq, t.channel, sorted(t.data)) == (
            CaseType.CITIZENSHIP_CLAIM, "open", 1, Channel.SYSTEM, ["basis", "subject_id"]
        )  # fmt: skip
    assert not Notification.objects.filter(kind=NotificationKind.CITIZENSHIP_CLAIM).exists()


@pytest.mark.django_db
def test_existing_booking_with_detainer_goes_through_the_services(world, tmp_path):
    detainer = hold_eligible(world)
    booking = detainer.booking
    eligible = (T0 + timedelta(days=1)).isoformat()
    path = _write(
        tmp_path,
        "feed.csv",
        [
            HEADER,
            _row(
                world,
                booking.booking_number,
                booked_at=booking.booked_at.isoformat(),
                release_eligible_at=eligible,
                released_at="",
                release_type="",
            ),
            _row(world, "NEW1"),
        ],
    )
    result = bookings_import(path=path)
    assert result.events_created == {"BOOKING": 2, "RELEASE_ELIGIBILITY": 2, "RELEASE": 1}
    detainer.refresh_from_db()
    # Release eligibility recorded by booking_record_release_eligibility starts the hold.
    assert detainer.state == DetainerState.HOLD_IN_EFFECT
    assert AuditEvent.objects.filter(action="booking.release_eligible", entity_id=str(booking.pk)).exists()
    assert Booking.objects.filter(booking_number=booking.booking_number).count() == 1
    assert BookingImportRow.objects.filter(booking=booking).count() == 2


@pytest.mark.django_db
def test_screening_runs_inside_the_pipeline(world, tmp_path, capsys):
    registry_subject_add(
        actor=world.officer,
        first_name="Registry",
        last_name="Person",
        identifiers={IdentifierType.FBI_UCN: "777777AB1"},
    )
    path = _write(tmp_path, "feed.csv", [HEADER + EXTRA, _extra(_row(world, "F1"), fbi="777777ab1")])
    call_command("import", "bookings", str(path))
    out = capsys.readouterr().out
    assert "screened / proposed matches" in out
    match = IdentityMatch.objects.get()
    assert match.booking.booking_number == "F1" and match.basis == MatchBasis.BIOMETRIC
    assert match.subject.first_name == "Registry"
    assert "1 / 1" in out


class Interrupted(Exception):
    pass


@pytest.mark.django_db
def test_interrupted_run_is_resumed_and_only_a_finished_run_makes_the_file_a_no_op(world, tmp_path):
    from holdtrack.custody.ingest import run as ingest_run
    from holdtrack.intake.bookings import screen_chunk

    path = _write(tmp_path, "feed.csv", [HEADER] + [_row(world, f"R{i}") for i in range(6)])
    calls = []

    def crash_on_second_chunk(actor, bookings):  # type: ignore[no-untyped-def]
        calls.append(len(bookings))
        if len(calls) == 2:
            raise Interrupted  # the process dies inside the second chunk's transaction
        return screen_chunk(actor, bookings)

    with pytest.raises(Interrupted):
        ingest_run.bookings_import(path=path, chunk_size=4, screen=crash_on_second_chunk)
    run = BookingImportRun.objects.get()
    # Marked FAILED with the reason, never left RUNNING by a process that is still alive to say so.
    assert run.status == FeedImportStatus.FAILED and run.failure == "Interrupted" and run.chunks_committed == 1
    assert Booking.objects.count() == 4 and Subject.objects.count() == 4  # whole chunks only
    assert BookingImportRow.objects.count() == 12

    again = bookings_import(path=path, chunk_size=4)
    assert again.already_imported is None and again.run is not None and again.run.pk == run.pk
    assert again.run.status == FeedImportStatus.COMPLETE and again.run.options["resumed"] == 1 and again.resumed
    assert again.run.failure == "" and again.run.options["failures"] == ["Interrupted"]
    assert again.events_created == {"BOOKING": 2, "RELEASE_ELIGIBILITY": 2, "RELEASE": 2}
    assert again.events_skipped == 12
    assert Booking.objects.count() == 6 and Subject.objects.count() == 6
    assert BookingImportRow.objects.count() == 18
    assert bookings_import(path=path).already_imported is not None


@pytest.mark.django_db
def test_retyped_csv_columns_are_reported(world, tmp_path):
    lines = [HEADER]
    for i in range(4):
        # date_of_birth now holds numbers and immigration_hold free text in most rows
        dob, hold = ("45123", "pending review") if i else ("1990-04-01", "0")
        lines.append(_row(world, f"T{i}", date_of_birth=dob, immigration_hold=hold))
    path = _write(tmp_path, "feed.csv", lines)
    result = bookings_import(path=path, max_bad_rows=10)
    retyped = result.drift["retyped_columns"]
    assert retyped["date_of_birth"] == {"expected": "date", "number": 3, "date": 1}  # a spreadsheet's day count
    assert retyped["immigration_hold"] == {"expected": "boolean", "text": 3, "boolean": 1}
    assert "booked_at" not in retyped and "released_at" not in retyped
    assert result.run is not None and result.run.schema_drift["retyped_columns"] == json.loads(json.dumps(retyped))
    # The values are not silently dropped either: each bad cell is a row error.
    assert sum(e.field == "date_of_birth" for e in result.errors) == 3


@pytest.mark.django_db
def test_optional_columns_are_not_missing(world, tmp_path):
    path = _write(tmp_path, "feed.csv", [HEADER, _row(world, "O1")])
    assert bookings_import(path=path).drift["missing_columns"] == []
