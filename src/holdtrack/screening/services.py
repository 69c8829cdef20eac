"""Screening services: registry maintenance, model storage and the screening of bookings.

``screen_bookings`` is set-based: one statement retrieves the candidates of a whole batch through the indexed
blocking keys, our code scores them with the stored splink parameters, and the PROPOSED identity matches
above the review threshold are bulk-created with their transitions and one hash-chained audit event per
batch. Nothing is issued automatically: an officer confirms or rejects through
``custody.services.identity_match_review``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.bulk import write_rows
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.text import a_number as a_number_form
from holdtrack.custody.models import Booking, IdentifierType, Subject
from holdtrack.custody.services import subject_create
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.steps import when
from holdtrack.screening.frequencies import name_frequencies_add
from holdtrack.screening.fs_model import Scorer
from holdtrack.screening.gates import model_gate_failures
from holdtrack.screening.keys import Keys, fbi_segments, keys_for, middle_given_sound
from holdtrack.screening.models import RegistryKey, ScreeningModel
from holdtrack.screening.proposals import BIOMETRIC_VERSION, BookingScreen, Proposal, ScreenResult, persist
from holdtrack.screening.stages import NO_DOB_REVIEW_THRESHOLD, Booked, Decision, active_model, decide, scorer_for

# Match probability for the review queue: recall matters more than precision here (an officer decides),
# chosen on synthetic data (docs/screening.md).
DEFAULT_REVIEW_THRESHOLD = 0.2

# ------------------------------------------------------------------------------------------ registry


class _Described(Protocol):
    """What the screening keys are computed from: a subject, a registry person or a validated feed row."""

    first_name: str
    middle_name: str
    last_name: str
    date_of_birth: date | None
    sex: str
    birth_country: str


def _key_row(subject_id: int, k: Keys, fbi: str, a_number: str = "") -> RegistryKey:
    return RegistryKey(
        subject_id=subject_id,
        first_norm=k.first_norm,
        first_canon=k.first_canon,
        middle_norm=k.middle_norm,
        last_norm=k.last_norm,
        last_tok1=k.last_tok1,
        last_tok2=k.last_tok2,
        first_sound=k.first_sound,
        last_sound=k.last_sound,
        last2_sound=k.last2_sound,
        middle_given_sound=middle_given_sound(k.middle_norm),
        dob=k.dob,
        dob_ym=k.dob_ym,
        dob_md=k.dob_md,
        sex=k.sex,
        country=k.country,
        fbi_number=fbi,
        fbi_mid=fbi_segments(fbi)[0],
        fbi_tail=fbi_segments(fbi)[1],
        a_number=a_number,
    )


def subject_keys(s: Subject | _Described) -> Keys:
    return keys_for(
        first_name=s.first_name,
        middle_name=s.middle_name,
        last_name=s.last_name,
        second_last_name=getattr(s, "second_last_name", ""),
        date_of_birth=s.date_of_birth,
        sex=s.sex,
        birth_country=s.birth_country,
    )


_KEY_FIELDS = (
    "subject_id", "first_norm", "first_canon", "middle_norm", "last_norm", "last_tok1", "last_tok2",
    "first_sound", "last_sound", "last2_sound", "middle_given_sound", "dob", "dob_ym", "dob_md", "sex", "country",
    "fbi_number", "fbi_mid", "fbi_tail", "a_number",
)  # fmt: skip


def _key_tuple(subject_id: int, k: Keys, fbi: str, a_number: str) -> tuple[Any, ...]:
    """The row of ``_KEY_FIELDS`` without a model instance: building 1M instances was half the registry import."""
    return (
        subject_id, k.first_norm, k.first_canon, k.middle_norm, k.last_norm, k.last_tok1, k.last_tok2,
        k.first_sound, k.last_sound, k.last2_sound, middle_given_sound(k.middle_norm), k.dob, k.dob_ym, k.dob_md,
        k.sex, k.country, fbi, *fbi_segments(fbi), a_number,
    )  # fmt: skip


def registry_keys_bulk(people: Iterable[Any]) -> int:
    """Compute and store the keys of registry people already stored as subjects (the registry builder), set-based
    (``core.bulk``: COPY on PostgreSQL)."""
    counted = [0]

    def rows() -> Iterator[tuple[Any, ...]]:
        for p in people:
            counted[0] += 1
            yield _key_tuple(p.subject_id or 0, subject_keys(p), p.fbi_ucn, getattr(p, "a_number", "") or "")

    write_rows(RegistryKey, _KEY_FIELDS, rows())
    return counted[0]


def registry_subject_add(
    *,
    actor: User,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    sex: str = "U",
    birth_country: str = "",
    middle_name: str = "",
    second_last_name: str = "",
    identifiers: dict[str, str] | None = None,
) -> Subject:
    """Add one subject to the registry: the subject, its identifiers and its screening keys."""
    authorize(actor, "registry_subject_add")
    anum = a_number_form((identifiers or {}).get(IdentifierType.A_NUMBER, "")) or ""
    if anum:  # stored in its 9-digit form, as the registry import stores it (the A-number probe looks it up)
        identifiers = {**(identifiers or {}), IdentifierType.A_NUMBER: anum}
    with transaction.atomic():
        s = subject_create(
            actor=actor,
            first_name=first_name,
            middle_name=middle_name,
            last_name=last_name,
            second_last_name=second_last_name,
            date_of_birth=date_of_birth,
            sex=sex,
            birth_country=birth_country,
            identifiers=identifiers,
        )
        fbi = (identifiers or {}).get(IdentifierType.FBI_UCN, "")
        k = subject_keys(s)
        _key_row(s.pk, k, fbi, anum).save()
        name_frequencies_add(
            k.first_norm, k.last_norm, last_sound=k.last_sound, first_sound=k.first_sound, country=k.country
        )
        audit_record(actor=actor, action="registry.add", entity_type="subject", entity_id=s.pk)
        return s


# --------------------------------------------------------------------------------------------- model


def screening_model_store(
    *,
    actor: User,
    splink_model: dict[str, Any],
    version: str,
    registry_size: int,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    training_registry: int = 0,
    training_bookings: int = 0,
    at: datetime | None = None,
    notes: str = "",
    labels_report: dict[str, Any] | None = None,
) -> ScreeningModel:
    """Store a trained model; it becomes the active version unless it proposes fewer of the officers' confirmed
    matches than the active one at the review threshold (``learning.shadow_evaluation``): then it is stored
    inactive, with the figures. Earlier versions stay, inactive, for the audit.
    ``labels_report``: how m was estimated from labelled decisions (``learning.m_from_labels``), kept with it."""
    authorize(actor, "screening_model_store")
    from holdtrack.screening.learning import labelled_pairs, shadow_evaluation  # noqa: PLC0415 - cycle: learning uses this scorer

    if not 0 < review_threshold < 1:
        raise ValidationFailed("The review threshold is a match probability between 0 and 1.")
    try:
        problems = model_gate_failures(splink_model, registry_size)
        if not problems:
            # Refuses a model whose comparisons differ from this code's (a new one must have them all).
            Scorer.from_splink(splink_model, complete=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"The model does not fit this code's comparisons: {exc}") from exc
    if problems:
        raise ValidationFailed("The model's parameters are implausible; not stored: " + "; ".join(problems) + ".")
    at = when(at)
    with transaction.atomic():
        if ScreeningModel.objects.filter(version=version).exists():
            raise ValidationFailed(f"Screening model version {version!r} already exists.")
        # Locked: two versions stored at once are each compared with the model that is really active.
        incumbent = ScreeningModel.objects.select_for_update().filter(active=True).order_by("-trained_at", "-id")
        evaluation = shadow_evaluation(
            splink_model=splink_model, review_threshold=review_threshold, incumbent=incumbent.first(),
            pairs=labelled_pairs(actor=actor), event="store", at=at,
        )  # fmt: skip
        if labels_report is not None:
            evaluation["labels_used"] = labels_report
        if evaluation["activate"]:
            ScreeningModel.objects.filter(active=True).update(active=False)
        m = ScreeningModel.objects.create(
            version=version,
            splink_model=splink_model,
            review_threshold=review_threshold,
            registry_size=registry_size,
            training_registry=training_registry,
            training_bookings=training_bookings,
            trained_at=at,
            notes=notes,
            active=evaluation["activate"],
            evaluations=[evaluation],
        )
        audit_record(
            actor=actor,
            action="screening_model.store",
            entity_type="screening_model",
            entity_id=m.pk,
            data={
                "version": version, "review_threshold": review_threshold, "registry_size": registry_size,
                "activated": m.active, "reason": evaluation["reason"], "m_from_labels": labels_report is not None,
            },
            at=at,
        )  # fmt: skip
        return m


# -------------------------------------------------------------------------------------------- screen


def screen_bookings(
    *,
    actor: User,
    bookings: Sequence[Booking],
    at: datetime | None = None,
    model: ScreeningModel | None = None,
    refresh: bool = False,
    audit: bool = True,
    decided: Sequence[Decision | None] | None = None,
) -> ScreenResult:
    """Screen a batch of bookings against the registry and propose matches (``stages.decide``), stored with their
    transitions and one audit event (``proposals.persist``).

    ``model``: a stored version instead of the active one. ``refresh`` (re-screening): a pair already proposed
    and still PROPOSED takes the new score, explanation and model version; a decided pair is never touched.
    ``audit=False``: the caller writes one event for its whole run (``screening.rescreen``).
    ``decided``: what ``decide`` already proposed for each booking's record before it was stored (the feed's
    next chunk, ``prefetch.ChunkPrefetch``), aligned with ``bookings``; a booking without one, or whose decision
    came from another model version or proposes the booking's own subject, is decided here."""
    authorize(actor, "screen_bookings")
    at = when(at)
    model = model or active_model()
    version = model.version if model else ""
    result = ScreenResult(
        screened=len(bookings), model_version=version, review_threshold=model.review_threshold if model else None
    )
    if not bookings:
        return result
    ready: list[Decision | None] = list(decided) if decided is not None else [None] * len(bookings)
    todo = [
        i
        for i, (b, d) in enumerate(zip(bookings, ready, strict=True))
        if d is None or d.model_version != version or any(p.subject_id == b.subject_id for p in d.proposals)
    ]
    if todo:
        missing = [bookings[i].subject_id for i in todo if "subject" not in bookings[i]._state.fields_cache]
        subjects = Subject.objects.in_bulk(missing) if missing else {}
        booked = []
        for i in todo:
            b = bookings[i]
            person = b._state.fields_cache.get("subject") or subjects[b.subject_id]
            booked.append(Booked(subject_keys(person), b.fbi_number.strip(), b.a_number, b.subject_id))
        for i, fresh in zip(todo, decide(booked, model), strict=True):
            ready[i] = fresh
    found: list[list[Proposal]] = []
    explanations: dict[tuple[int, int], dict[str, Any]] = {}
    for i, (b, d) in enumerate(zip(bookings, ready, strict=True)):
        assert d is not None
        found.append(d.proposals)
        explanations.update(((i, p.subject_id), d.explanations[p.subject_id]) for p in d.proposals)
        result.candidates += d.candidates
        result.biometric += d.biometric
        result.wide += d.wide
        result.deep += d.deep
        result.spelled += d.spelled
        result.bookings[b.pk] = BookingScreen(b.pk, d.candidates)
    persist(actor, bookings, found, explanations, version, at, result, refresh=refresh, audit=audit)
    return result


def screen_booking(*, actor: User, booking: Booking, at: datetime | None = None) -> ScreenResult:
    authorize(actor, "screen_booking")
    return screen_bookings(actor=actor, bookings=[booking], at=at)


__all__ = [
    "BIOMETRIC_VERSION",
    "NO_DOB_REVIEW_THRESHOLD",
    "BookingScreen",
    "Proposal",
    "ScreenResult",
    "active_model",
    "model_gate_failures",
    "registry_keys_bulk",
    "registry_subject_add",
    "scorer_for",
    "screen_booking",
    "screen_bookings",
    "screening_model_store",
]
