"""``bookings_import_batch``: the set-based write path of booking feeds (ADR 0011).

One call writes one chunk of validated feed records in ONE transaction:

- bookings that are new to the system (the common case) are written set-based: their subjects, the
  bookings with their release eligibility and release already applied, the booking transitions (``book``
  seq 1, ``release_eligible``, ``release``), the citizenship claims booking data indicates (with their
  ``open`` transitions), and the provenance rows. A booking created in this chunk cannot have a detainer
  yet and its subject is new, so the detainer consequences of release eligibility, release and a
  citizenship claim are empty by construction;
- bookings that already exist (re-sent, imported earlier, created through the API) go through the
  per-event custody services, so detainer consequences still follow;
- one hash-chained audit event records the chunk (run, chunk number, counts, first/last booking id and a
  SHA-256 over the chunk's idempotency keys) instead of one event per booking;
- the transitions go in through ``audit.services.transitions_record_bulk``, which hands them to the step
  dispatcher (``kernel.dispatch``) as the per-event services' transitions are: the desks hear the claims opened
  here as they hear those opened one by one (booking transitions have no listener);
- the chunk's new bookings are screened in the same transaction by the ``screen`` step the booking intake
  passes in (``holdtrack.intake.bookings``), so a killed import never leaves persisted but unscreened
  bookings behind, while custody itself never imports screening;
- the run's counters advance in the same transaction, so the run row always agrees with what is stored.

Rows are written by ``core.bulk`` (COPY on PostgreSQL, executemany on SQLite), which sends no model signals; the
custody facts (``custody.events``) the per-event services announce are not announced for the new bookings: a
booking created in this chunk has no detainer and its subject is new, so the cases' handlers would find nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F

from holdtrack.accounts.models import User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import CaseType, Channel
from holdtrack.audit.services import TransitionRow, audit_record, transition_row, transitions_record_bulk
from holdtrack.core.bulk import bulk_insert, insert_rows
from holdtrack.core.timeutil import now
from holdtrack.custody import services as custody
from holdtrack.custody.areas import areas_of
from holdtrack.custody.ingest.records import FeedRecord
from holdtrack.custody.models import (
    Booking,
    BookingImportRow,
    BookingImportRun,
    CitizenshipClaim,
    FeedEvent,
    Subject,
)
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency

Item = tuple[FeedRecord, LawEnforcementAgency, Facility]
# The intake's screening step: (feed actor, the chunk's new bookings) -> counts for the run summary.
Screener = Callable[[User, list[Booking]], dict[str, int]]


@dataclass
class ChunkResult:
    created: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    bookings: list[Booking] = field(default_factory=list)
    claims: int = 0
    screening: dict[str, int] = field(default_factory=dict)


Row = dict[str, Any]  # attribute name → value, for the append-only tables written without model instances


def _transition(
    booking_id: int, seq: int, name: str, source: str, target: str, actor: User, at: Any, data: dict[str, Any]
) -> TransitionRow:
    return transition_row(
        case_type=CaseType.BOOKING,
        case_id=booking_id,
        seq=seq,
        name=name,
        source=source,
        target=target,
        actor=actor,
        at=at,
        data=data,
        channel=Channel.IMPORT,
    )


def _provenance(run: BookingImportRun, sha: str, record: FeedRecord, booking: Booking, event: str) -> Row:
    first = event == FeedEvent.BOOKING
    return {
        "run_id": run.pk,
        "booking_id": booking.pk,
        "custodian_ori": record.agency_ori,
        "booking_number": record.booking_number,
        "event": str(event),
        "file_sha256": sha,
        "row_number": record.row_number,
        "immigration_hold": record.immigration_hold if first else None,
        "hold_outcome": record.hold_outcome if first else "",
        "charge_type": record.charge_type,
        "source_disposition": record.source_disposition,
        "data": record.data if first else {},
    }


def keys_digest(keys: Sequence[tuple[str, str, str]]) -> str:
    """SHA-256 over the chunk's idempotency keys (agency ORI, booking number, event), sorted."""
    h = hashlib.sha256()
    for key in sorted(keys):
        h.update("\x1f".join(key).encode())
        h.update(b"\n")
    return h.hexdigest()


def bookings_import_batch(
    *,
    actors: dict[int, User],
    run: BookingImportRun,
    sha: str,
    items: Sequence[Item],
    chunk: int,
    screen: Screener | None = None,
) -> ChunkResult:
    """Write one chunk of validated feed records (see the module docstring). ``actors`` maps each agency's
    pk to its system-feed user, the actor of that agency's events. ``screen`` is the intake's screening step
    (``holdtrack.intake``): custody records bookings and never calls screening itself."""
    out = ChunkResult()
    if not items:
        return out
    with transaction.atomic():
        oris = {r.agency_ori for r, _, _ in items}
        numbers = [r.booking_number for r, _, _ in items]
        done = set(
            BookingImportRow.objects.filter(custodian_ori__in=oris, booking_number__in=numbers).values_list(
                "custodian_ori", "booking_number", "event"
            )
        )
        existing = {
            (b.custodian_id, b.booking_number): b
            for b in Booking.objects.filter(
                custodian_id__in={lea.pk for _, lea, _ in items}, booking_number__in=numbers
            ).select_related("subject")
        }
        fresh: list[Item] = []
        rows: list[Row] = []
        keys: list[tuple[str, str, str]] = []
        for item in items:
            record, lea, facility = item
            booking = existing.get((lea.pk, record.booking_number))
            if booking is None:
                fresh.append(item)
            else:
                _through_services(actors[lea.pk], run, sha, record, booking, done, rows, keys, out)

        # New bookings, set-based.
        subjects = bulk_insert(
            Subject,
            [
                Subject(
                    first_name=r.first_name,
                    middle_name=r.middle_name,
                    last_name=r.last_name,
                    second_last_name=r.second_last_name,
                    date_of_birth=r.date_of_birth,
                    sex=r.sex,
                    birth_country=r.birth_country,
                )
                for r, _, _ in fresh
            ],
        )
        area = areas_of({lea.pk for _, lea, _ in fresh}) if fresh else {}
        bookings = bulk_insert(
            Booking,
            [
                Booking(
                    subject=subject,
                    facility=facility,
                    custodian=lea,
                    area_id=area.get(lea.pk),
                    booking_number=r.booking_number,
                    booked_at=r.booked_at,
                    charge_level=r.charge_level,
                    charges=r.charges,
                    stated_birth_country=r.birth_country,
                    us_passport_on_file=r.us_passport_on_file,
                    citizenship_asserted=r.citizenship_asserted,
                    fbi_number=r.fbi_number,
                    a_number=r.a_number,
                    # Release events of a booking created here: no detainer can exist yet.
                    release_eligible_at=r.release_eligible_at,
                    release_eligibility_reason=r.release_eligibility_reason if r.release_eligible_at else "",
                    released_at=r.released_at,
                    release_type=r.release_type if r.released_at else "",
                )
                for subject, (r, lea, facility) in zip(subjects, fresh, strict=True)
            ],
        )
        transitions: list[TransitionRow] = []
        claims: list[CitizenshipClaim] = []
        sysu = system_user() if fresh else None
        for booking, (r, lea, facility) in zip(bookings, fresh, strict=True):
            actor = actors[lea.pk]
            transitions.append(
                _transition(
                    booking.pk,
                    1,
                    "book",
                    "",
                    "IN_CUSTODY",
                    actor,
                    r.booked_at,
                    {"facility_code": facility.code, "custodian_ori": lea.ori},
                )
            )
            rows.append(_provenance(run, sha, r, booking, FeedEvent.BOOKING))
            keys.append((r.agency_ori, r.booking_number, FeedEvent.BOOKING))
            out.created[FeedEvent.BOOKING] += 1
            seq = 1
            if r.release_eligible_at is not None:
                seq += 1
                transitions.append(
                    _transition(
                        booking.pk,
                        seq,
                        "release_eligible",
                        "IN_CUSTODY",
                        "IN_CUSTODY",
                        actor,
                        r.release_eligible_at,
                        {"reason": r.release_eligibility_reason},
                    )
                )
                rows.append(_provenance(run, sha, r, booking, FeedEvent.RELEASE_ELIGIBILITY))
                keys.append((r.agency_ori, r.booking_number, FeedEvent.RELEASE_ELIGIBILITY))
                out.created[FeedEvent.RELEASE_ELIGIBILITY] += 1
            if r.released_at is not None:
                seq += 1
                transitions.append(
                    _transition(
                        booking.pk,
                        seq,
                        "release",
                        "IN_CUSTODY",
                        "RELEASED",
                        actor,
                        r.released_at,
                        {"release_type": r.release_type, "released_to_ori": None},
                    )
                )
                rows.append(_provenance(run, sha, r, booking, FeedEvent.RELEASE))
                keys.append((r.agency_ori, r.booking_number, FeedEvent.RELEASE))
                out.created[FeedEvent.RELEASE] += 1
            # The booking safeguard (custody.services.booking_create): data indicating U.S. citizenship
            # opens a claim. The subject is new, so it has no open claim and no detainer to freeze.
            basis = custody._citizenship_indicated(booking)
            if basis and sysu is not None:
                claims.append(
                    CitizenshipClaim(subject_id=booking.subject_id, basis=basis, raised_at=r.booked_at, raised_by=sysu)
                )
        if claims:
            bulk_insert(CitizenshipClaim, claims)
            assert sysu is not None
            for claim in claims:
                transitions.append(
                    transition_row(
                        case_type=CaseType.CITIZENSHIP_CLAIM,
                        case_id=claim.pk,
                        seq=1,
                        name="open",
                        source="",
                        target=claim.status,
                        actor=sysu,
                        at=claim.raised_at,
                        data={"basis": str(claim.basis), "subject_id": claim.subject_id},
                        channel=Channel.SYSTEM,
                    )
                )
            out.claims = len(claims)
        transitions_record_bulk(transitions)  # the step dispatcher hears the claims' "open" (desks notify)
        insert_rows(BookingImportRow, rows)
        out.bookings = list(bookings)

        touched = [b.pk for b in bookings] + [b.pk for b in existing.values()]
        created = sum(out.created.values())
        feed_actor = actors[items[0][1].pk]
        audit_record(
            actor=feed_actor,
            action="booking.import_chunk",
            entity_type="booking_import_run",
            entity_id=run.pk,
            data={
                "run_id": run.pk,
                "chunk": chunk,
                "file_sha256": sha,
                "rows": len(items),
                "bookings_created": len(bookings),
                "events_created": dict(out.created),
                "events_skipped": out.skipped,
                "citizenship_claims_opened": out.claims,
                "first_booking_id": min(touched) if touched else None,
                "last_booking_id": max(touched) if touched else None,
                "keys_sha256": keys_digest(keys),
            },
        )
        if screen is not None and bookings:
            out.screening = screen(feed_actor, list(bookings))
        BookingImportRun.objects.filter(pk=run.pk).update(
            chunks_committed=F("chunks_committed") + 1,
            events_created=F("events_created") + created,
            events_skipped=F("events_skipped") + out.skipped,
            finished_at=now(),
        )
    return out


def _through_services(
    actor: User,
    run: BookingImportRun,
    sha: str,
    record: FeedRecord,
    booking: Booking,
    done: set[tuple[str, str, str]],
    rows: list[Row],
    keys: list[tuple[str, str, str]],
    out: ChunkResult,
) -> None:
    """A booking that already exists: its missing events go through the per-event services, so any detainer
    on it sees the release eligibility and release."""

    def note(event: str) -> None:
        rows.append(_provenance(run, sha, record, booking, event))
        keys.append((record.agency_ori, record.booking_number, event))
        out.created[event] += 1

    ori, number = record.agency_ori, record.booking_number
    if (ori, number, FeedEvent.BOOKING) in done:
        out.skipped += 1
    else:
        note(FeedEvent.BOOKING)  # sent before through another channel: the feed row is its provenance
    if record.release_eligible_at is not None:
        if (ori, number, FeedEvent.RELEASE_ELIGIBILITY) in done or booking.release_eligible_at is not None:
            out.skipped += 1
        elif booking.released_at is None:
            booking = custody.booking_record_release_eligibility(
                actor=actor,
                booking=booking,
                at=record.release_eligible_at,
                reason=record.release_eligibility_reason,
                channel=Channel.IMPORT,
            )
            note(FeedEvent.RELEASE_ELIGIBILITY)
    if record.released_at is not None:
        if (ori, number, FeedEvent.RELEASE) in done or booking.released_at is not None:
            out.skipped += 1
        else:
            booking = custody.booking_release(
                actor=actor,
                booking=booking,
                at=record.released_at,
                release_type=record.release_type,
                channel=Channel.IMPORT,
            )
            note(FeedEvent.RELEASE)
