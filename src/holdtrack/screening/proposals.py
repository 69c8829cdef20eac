"""The proposals a screening run makes, and their persistence: the result types of ``services.screen_bookings``,
then ``IdentityMatch`` rows written set-based (``core.bulk``) with their transitions
(``audit.services.transitions_record_bulk``) and one hash-chained audit event per batch, or,
when re-screening, the new score of a pair still PROPOSED (a decided pair is never touched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.audit.models import CaseType, Channel
from holdtrack.audit.services import TransitionRow, audit_record, transition_row, transitions_record_bulk
from holdtrack.core.bulk import insert_rows
from holdtrack.custody.models import Booking, IdentityMatch, MatchBasis, MatchStatus

BIOMETRIC_VERSION = "biometric-fbi-ucn"


@dataclass
class Proposal:
    subject_id: int
    basis: str
    score: float
    match_id: int | None = None
    created: bool = False
    # Both records carry an FBI number, more than one character apart (custody confirms it only with an override).
    identifier_conflict: bool = False


@dataclass
class BookingScreen:
    booking_id: int
    candidates: int = 0
    proposals: list[Proposal] = field(default_factory=list)


@dataclass
class ScreenResult:
    screened: int = 0
    candidates: int = 0
    proposed: int = 0
    biometric: int = 0
    wide: int = 0  # bookings probed again by the stage-two rules
    deep: int = 0  # bookings probed by the stage-three rules (with a DOB, still without a proposal)
    spelled: int = 0  # bookings probed again with a misspelt name corrected (stage four, ``spelling``)
    model_version: str = ""
    review_threshold: float | None = None
    bookings: dict[int, BookingScreen] = field(default_factory=dict)
    updated_ids: list[int] = field(default_factory=list)  # PROPOSED rows re-scored (refresh)
    match_ids: list[int] = field(default_factory=list)  # the matches this call created

    def as_dict(self) -> dict[str, Any]:
        return {
            "screened": self.screened,
            "candidates": self.candidates,
            "proposed": self.proposed,
            "biometric": self.biometric,
            "wide": self.wide,
            "deep": self.deep,
            "spelled": self.spelled,
            "model_version": self.model_version,
            "review_threshold": self.review_threshold,
        }


def persist(
    actor: User,
    bookings: Sequence[Booking],
    found: list[list[Proposal]],
    explanations: dict[tuple[int, int], dict[str, Any]],
    version: str,
    at: datetime,
    result: ScreenResult,
    *,
    refresh: bool = False,
    audit: bool = True,
) -> None:
    wanted = [(i, p) for i, props in enumerate(found) for p in props]
    for b in bookings:
        result.bookings.setdefault(b.pk, BookingScreen(b.pk))
    if not wanted:
        if audit:
            _audit_batch(actor, bookings, [], version, at, result)
        return
    with transaction.atomic():
        existing = {
            (bid, sid): (mid, status, basis, score, mv)
            for mid, bid, sid, status, basis, score, mv in IdentityMatch.objects.filter(
                booking_id__in=sorted({bookings[i].pk for i, _ in wanted})
            ).values_list("id", "booking_id", "subject_id", "status", "basis", "score", "model_version")
        }
        new: list[tuple[Proposal, dict[str, Any]]] = []
        seen: set[tuple[int, int]] = set()
        rescored: dict[int, tuple[int, Proposal]] = {}
        for i, p in wanted:
            b = bookings[i]
            old = existing.get((b.pk, p.subject_id))
            if old is not None:
                p.match_id = old[0]
                if (
                    refresh
                    and old[1] == MatchStatus.PROPOSED
                    and old[2] == p.basis == MatchBasis.BIOGRAPHIC
                    and (old[3] != p.score or old[4] != version)
                ):
                    rescored[old[0]] = (i, p)
                continue
            if (b.pk, p.subject_id) in seen:  # the same booking twice in one batch
                continue
            seen.add((b.pk, p.subject_id))
            new.append(
                (
                    p,
                    {
                        "booking_id": b.pk,
                        "subject_id": p.subject_id,
                        "basis": p.basis,
                        "score": p.score,
                        "model_version": version if p.basis == MatchBasis.BIOGRAPHIC else BIOMETRIC_VERSION,
                        "explanation": explanations[(i, p.subject_id)],
                        "proposed_at": at,
                        "status": MatchStatus.PROPOSED,
                        "reviewed_by_id": None,
                        "reviewed_at": None,
                        "review_reason": "",
                        "identifier_conflict": p.identifier_conflict,
                        "override_by_id": None,
                        "override_reason": "",
                    },
                )
            )
        ids = insert_rows(IdentityMatch, [row for _, row in new], ids=True)
        transitions: list[TransitionRow] = []
        for (p, row), mid in zip(new, ids, strict=True):
            p.match_id, p.created = mid, True
            transitions.append(
                transition_row(
                    case_type=CaseType.IDENTITY_MATCH,
                    case_id=mid,
                    seq=1,  # a new match: its first transition
                    name="propose",
                    source="",
                    target=MatchStatus.PROPOSED,
                    actor=actor,
                    at=at,
                    data={"basis": p.basis, "score": p.score, "model_version": row["model_version"]},
                    channel=Channel.SYSTEM,
                )
            )
        transitions_record_bulk(transitions)
        for i, p in wanted:
            result.bookings[bookings[i].pk].proposals.append(p)
        result.proposed = len(ids)
        result.match_ids = ids
        if rescored:
            result.updated_ids = _rescore(rescored, explanations, version)
        if audit:
            _audit_batch(actor, bookings, ids, version, at, result)


def _rescore(rescored: dict[int, tuple[int, Proposal]], explanations: dict[tuple[int, int], dict[str, Any]],
             version: str) -> list[int]:  # fmt: skip
    """New scores on rows still PROPOSED (locked, so a decision made meanwhile is never overwritten)."""
    rows = list(IdentityMatch.objects.select_for_update().filter(pk__in=list(rescored), status=MatchStatus.PROPOSED))
    for m in rows:
        i, p = rescored[m.pk]
        m.score, m.model_version, m.identifier_conflict = p.score, version, p.identifier_conflict
        m.explanation = explanations[(i, p.subject_id)]
    IdentityMatch.objects.bulk_update(rows, ["score", "model_version", "identifier_conflict", "explanation"])
    return [m.pk for m in rows]


def _audit_batch(
    actor: User, bookings: Sequence[Booking], match_ids: list[int], version: str, at: datetime, result: ScreenResult
) -> None:
    audit_record(
        actor=actor,
        action="identity_match.screen",
        entity_type="booking_batch",
        entity_id=bookings[0].pk,
        data={
            "bookings": len(bookings),
            "booking_ids": ranges(sorted(b.pk for b in bookings)),
            "candidates": result.candidates,
            "proposed": result.proposed,
            "biometric": result.biometric,
            "model_version": version,
            "match_ids": ranges(sorted(match_ids)),
        },
        at=at,
    )


def ranges(ids: list[int]) -> list[list[int]]:
    """Compact id list: [[first, last], …] runs of consecutive ids."""
    out: list[list[int]] = []
    for x in ids:
        if out and out[-1][1] == x - 1:
            out[-1][1] = x
        else:
            out.append([x, x])
    return out
