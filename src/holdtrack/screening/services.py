"""Screening services: registry maintenance, model storage and the screening of bookings.

``screen_bookings`` is set-based: one statement retrieves the candidates of a whole batch through the indexed
blocking keys, our code scores them with the stored splink parameters, and the PROPOSED identity matches
above the review threshold are bulk-created with their transitions and one hash-chained audit event per
batch. Nothing is issued automatically: an officer confirms or rejects through
``custody.services.identity_match_review``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from django.db import transaction

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.bulk import write_rows
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.text import a_number as a_number_form
from holdtrack.custody.models import Booking, IdentifierType, MatchBasis, Subject
from holdtrack.custody.services import subject_create
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.steps import when
from holdtrack.screening import candidates as cand
from holdtrack.screening import identifiers, spelling
from holdtrack.screening.frequencies import TermFrequencies, frequencies_for, name_frequencies_add
from holdtrack.screening.fs_model import TF_FIELDS, Rec, Scorer, fbi_conflict, probability
from holdtrack.screening.gates import model_gate_failures
from holdtrack.screening.keys import Keys, fbi_segments, keys_for, middle_given_sound
from holdtrack.screening.models import RegistryKey, ScreeningModel
from holdtrack.screening.proposals import BIOMETRIC_VERSION, BookingScreen, Proposal, ScreenResult, persist

# Match probability for the review queue: recall matters more than precision here (an officer decides),
# chosen on synthetic data (docs/screening.md).
DEFAULT_REVIEW_THRESHOLD = 0.2
MAX_PROPOSALS_PER_BOOKING = 5
# A booking without a date of birth is its own class: only names (and sex, country, FBI number) speak, so a
# common name leaves several namesakes at a similar probability. It gets its own threshold and keeps more
# proposals. Chosen by the marginal precision on the harder benchmark (docs/benchmarks.md, "Bookings without a
# DOB as their own class" and "Misspelt names, month-end slips, tied namesakes"): 0.1 → 0.05 found 4 more true
# pairs of 157 for 154 proposals (3 % true), where lowering the class with a DOB from 0.2 to 0.1 finds 1 of
# 3,348 for 122 (under 1 %).
NO_DOB_REVIEW_THRESHOLD = 0.05
MAX_PROPOSALS_NO_DOB = 10
# ... and more when the namesakes beyond the tenth score exactly as the tenth (a tie no field breaks), up to this.
MAX_TIED_NO_DOB = 30
# A booking that no candidate brings to its class's threshold gets its nearest candidate proposed, when that one
# reaches this probability: a DOB slip on a common name (its term frequency lowers the names' weight) otherwise
# leaves the officer nothing to look at. Chosen on the harder benchmark, seed 1 (docs/benchmarks.md, "The nearest
# record"): at 0.01, 14 more true pairs for 276 proposals (5 % true); 0.005 adds 1 more for 68, and keeping the
# three nearest 2 more for 204.
NEAREST_FLOOR = 0.01
NEAREST_KEEP = 1
# A booking whose best first-stage proposal is below this probability is probed again by the wide blocking rules.
WIDE_BELOW_PROBABILITY = 0.99
WIDE_BELOW_WEIGHT = math.log2(WIDE_BELOW_PROBABILITY / (1 - WIDE_BELOW_PROBABILITY))
# The third (deep) stage (ADR 0029); off only to measure its cost (bench/ingest.py --no-deep).
DEEP_STAGE = True
SPELLING_STAGE = True  # off only to measure it
SPELLING_DEEP = True  # the corrected names probed by the deep rules too (off: the first two stages' only)
A_NUMBER_SLIPS = True  # the same
FBI_SLIPS = True  # the same
# The registry records whose A-number equals the booking's join its first-stage candidates (scored, never a
# match by themselves); off only to measure what the probe brings (bench/screening_febrl4.py --no-a-number-probe).
A_NUMBER_PROBE = True

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

_scorers: dict[str, Scorer] = {}


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


def active_model() -> ScreeningModel | None:
    # The splink JSON is read once per version (scorer_for caches the scorer), not on every screen.
    return ScreeningModel.objects.filter(active=True).defer("splink_model").order_by("-trained_at", "-id").first()


def scorer_for(model: ScreeningModel) -> Scorer:
    s = _scorers.get(model.version)
    if s is None:
        s = _scorers[model.version] = Scorer.from_splink(model.splink_model)
    return s


# -------------------------------------------------------------------------------------------- screen


def _biometric_explanation(fbi: str, version: str) -> dict[str, Any]:
    return {
        "basis": MatchBasis.BIOMETRIC,
        "identifier": IdentifierType.FBI_UCN,
        "value": fbi,
        "summary": "The FBI number on the booking equals the registry subject's FBI UCN; biographic scoring "
        "was skipped for this booking.",
        "score": 1.0,
        "model_version": version,
    }


def screen_bookings(
    *,
    actor: User,
    bookings: Sequence[Booking],
    at: datetime | None = None,
    model: ScreeningModel | None = None,
    refresh: bool = False,
    audit: bool = True,
    prefetched: Mapping[Keys, list[tuple[int, Rec]]] | None = None,
) -> ScreenResult:
    """Screen a batch of bookings against the registry and propose matches (see module docstring).

    ``model``: a stored version instead of the active one. ``refresh`` (re-screening): a pair already proposed
    and still PROPOSED takes the new score, explanation and model version; a decided pair is never touched.
    ``audit=False``: the caller writes one event for its whole run (``screening.rescreen``).
    ``prefetched``: first-stage candidates already retrieved for these keys (``prefetch.FirstStagePrefetch``);
    a booking whose keys are not in it is retrieved here."""
    authorize(actor, "screen_bookings")
    at = when(at)
    model = model or active_model()
    scorer = scorer_for(model) if model else None
    version = model.version if model else ""
    threshold = model.review_threshold if model else None
    min_weight = math.log2(threshold / (1 - threshold)) if threshold else math.inf
    # A booking without a date of birth is screened on names and the other fields, against its own bar.
    no_dob_threshold = NO_DOB_REVIEW_THRESHOLD if threshold else None
    no_dob_weight = math.log2(no_dob_threshold / (1 - no_dob_threshold)) if no_dob_threshold else math.inf
    near_weight = math.log2(NEAREST_FLOOR / (1 - NEAREST_FLOOR)) if threshold and NEAREST_FLOOR else math.inf
    result = ScreenResult(screened=len(bookings), model_version=version, review_threshold=threshold)
    if not bookings:
        return result

    missing = [b.subject_id for b in bookings if "subject" not in b._state.fields_cache]
    subjects = Subject.objects.in_bulk(missing) if missing else {}
    people = [b._state.fields_cache.get("subject") or subjects[b.subject_id] for b in bookings]

    fbis = [b.fbi_number.strip() for b in bookings]
    anums = [b.a_number for b in bookings]
    bio = identifiers.biometric(fbis)
    keys: list[Keys] = []
    need: list[int] = []
    found: list[list[Proposal]] = [[] for _ in bookings]
    explanations: dict[tuple[int, int], dict[str, Any]] = {}
    for i, (b, p, fbi) in enumerate(zip(bookings, people, fbis, strict=True)):
        sid = bio.get(fbi) if fbi else None
        if sid is not None and sid != b.subject_id:
            found[i].append(Proposal(sid, MatchBasis.BIOMETRIC, 1.0))
            explanations[(i, sid)] = _biometric_explanation(fbi, version)
            result.biometric += 1
        elif scorer is not None:
            need.append(i)
        keys.append(subject_keys(p))

    def _tf(retrieved: list[list[tuple[int, Rec]]]) -> TermFrequencies | None:
        return frequencies_for((n, other[f]) for cands in retrieved for _, other in cands for n, f in TF_FIELDS.items())

    # booking → candidate → its best weight below the bar, with what it was scored from
    near: dict[int, dict[int, tuple[float, Rec, Rec, TermFrequencies | None, Keys | None]]] = {}

    def _propose(
        i: int, sid: int, used: Rec, other: Rec, tf: TermFrequencies | None, bar_p: float | None, read_as: Keys | None
    ) -> None:
        assert scorer is not None
        total, terms = scorer.explain(used, other, tf)
        prob = probability(total)
        found[i].append(Proposal(sid, MatchBasis.BIOGRAPHIC, prob, identifier_conflict=fbi_conflict(used, other)))
        explanations[(i, sid)] = {
            "basis": MatchBasis.BIOGRAPHIC,
            "model_version": version,
            "review_threshold": bar_p,
            "prior": {"probability": scorer.prior, "weight": scorer.prior_weight},
            "comparisons": terms,
            "total_weight": total,
            "probability": prob,
        }
        if read_as is not None:
            explanations[(i, sid)]["read_as"] = {"first_name": read_as.first_norm, "last_name": read_as.last_norm}

    def _score(i: int, cands: list[tuple[int, Rec]], tf: TermFrequencies | None, read_as: Sequence[Keys] = ()) -> float:
        """Score booking ``i``'s candidates and propose the best above its class's threshold; returns the best
        proposal's weight (-inf when none). ``read_as``: the booking's names with a misspelling corrected
        (``spelling``); a candidate is scored against the booking as written and as each correction reads it, and
        the best reading counts."""
        assert scorer is not None
        own = bookings[i].subject_id
        readings: list[tuple[Rec, Keys | None]] = [(cand.booking_rec(keys[i], fbis[i], anums[i]), None)]
        readings += [(cand.booking_rec(v, fbis[i], anums[i]), v) for v in read_as]
        bar, bar_p, keep = (
            (min_weight, threshold, MAX_PROPOSALS_PER_BOOKING)
            if keys[i].dob is not None
            else (no_dob_weight, no_dob_threshold, MAX_PROPOSALS_NO_DOB)
        )
        scored = []
        for sid, other in cands:
            if sid == own:
                continue
            if len(readings) == 1:  # the common case, without a generator per candidate (2 % of the CPU at 1M)
                w, used, as_read = scorer.weight(readings[0][0], other, tf), readings[0][0], None
            else:
                w, used, as_read = max(((scorer.weight(r, other, tf), r, v) for r, v in readings), key=lambda t: t[0])
            if w >= bar:
                scored.append((w, sid, other, used, as_read))
            elif w >= near_weight and w > near.setdefault(i, {}).get(sid, (-math.inf,))[0]:
                near[i][sid] = (w, other, used, tf, as_read)
        result.candidates += len(cands)
        scored.sort(key=lambda t: (-t[0], t[1]))
        if keys[i].dob is None and len(scored) > keep:
            # Namesakes no field separates score alike: cutting a tie by subject id would drop one at random.
            last = scored[keep - 1][0]
            keep = min(MAX_TIED_NO_DOB, keep + sum(1 for t in scored[keep:] if t[0] >= last - 1e-9))
        for _w, sid, other, used, as_read in scored[:keep]:
            _propose(i, sid, used, other, tf, bar_p, as_read)
        prev = result.bookings.get(bookings[i].pk)
        result.bookings[bookings[i].pk] = BookingScreen(bookings[i].pk, len(cands) + (prev.candidates if prev else 0))
        return scored[0][0] if scored else -math.inf

    if scorer is not None and need:
        retrieved = _first_stage([keys[i] for i in need], prefetched or {})
        if A_NUMBER_PROBE and any(anums[i] for i in need):
            by_anum = identifiers.by_a_number([anums[i] for i in need])
            for j, i in enumerate(need):
                extra = by_anum.get(anums[i]) if anums[i] else None
                if extra:
                    # a new list: the retrieved ones may be shared (prefetched, or bookings with the same keys)
                    have = {sid for sid, _ in retrieved[j]}
                    retrieved[j] = [*retrieved[j], *(c for c in extra if c[0] not in have)]
        tf = _tf(retrieved)
        # Stage two: the bookings the first rules leave without a confident proposal (none, or only ones a
        # relative or namesake could have earned) are probed with the wide rules (candidates.py); a candidate
        # both stages return is scored once.
        best = {i: _score(i, cands, tf) for i, cands in zip(need, retrieved, strict=True)}
        seen = {i: {sid for sid, _ in cands} for i, cands in zip(need, retrieved, strict=True)}

        def _stage(which: list[int], **stage: bool) -> None:
            more = [
                [c for c in cands if c[0] not in seen[i]]
                for i, cands in zip(which, cand.retrieve([keys[i] for i in which], **stage), strict=True)
            ]
            stage_tf = _tf(more)
            for i, cands in zip(which, more, strict=True):
                best[i] = max(best[i], _score(i, cands, stage_tf))
                seen[i].update(sid for sid, _ in cands)

        wide = [i for i in need if best[i] < WIDE_BELOW_WEIGHT]
        if wide:
            _stage(wide, wide=True)
            result.wide = len(wide)
        # Stage three: a booking still without any proposal at its threshold is probed with its DOB as a keying
        # slip would have left it and one name sound, or without a DOB with one exact name and the other's
        # initial (candidates._DEEP_RULES).
        # A booking without a DOB goes on while it has no confident proposal: a namesake's proposal at its low
        # bar says little (such bookings are rare in a feed, so the cost is small).
        deep = [i for i in wide if DEEP_STAGE and (keys[i].dob is None or best[i] < min_weight)]
        if deep:
            _stage(deep, deep=True)
            result.deep = len(deep)
        # Stage four (ADR 0038): a booking still without a proposal at its threshold (without a DOB: a confident
        # one) whose given name or surname the registry holds nowhere is probed again with that name corrected to
        # the registry's names one edit away (``spelling``), scored as written and as corrected ...
        still = [i for i in deep if SPELLING_STAGE and (keys[i].dob is None or best[i] < min_weight)]
        # ... and so are its A-number and FBI number: the registry's numbers one keying slip away bring their
        # records as candidates (``identifiers.by_a_number_slips``: 89 lookups on the identifiers' unique index;
        # ``by_fbi_slips``: two lookups on the number's last segments, as its 323 possible slips cost a third of
        # the screening CPU at 1,000,000 subjects, where most unmatched FBI numbers are people not in the registry).
        for probe, values, slips in (
            (A_NUMBER_SLIPS, anums, identifiers.by_a_number_slips),
            (FBI_SLIPS, fbis, identifiers.by_fbi_slips),
        ):
            slipped = [i for i in still if probe and values[i]]
            if not slipped:
                continue
            by_slip = slips([values[i] for i in slipped])
            fresh = [[c for c in cands if c[0] not in seen[i]] for i, cands in zip(slipped, by_slip, strict=True)]
            slip_tf = _tf(fresh)
            for i, cands in zip(slipped, fresh, strict=True):
                seen[i].update(c[0] for c in cands)
                if cands:
                    best[i] = max(best[i], _score(i, cands, slip_tf))
            still = [i for i in still if keys[i].dob is None or best[i] < min_weight]
        vocab = spelling.vocabulary() if still else None
        if vocab is not None:
            variants = {i: fixed for i in still if (fixed := spelling.corrected(keys[i], vocab))}
            if variants:
                # Each booking's candidates under every corrected reading, scored once against all readings: an
                # earlier stage's candidate scored below the bar as written may pass as corrected. One already
                # proposed is not scored twice.
                flat = [v for fixed in variants.values() for v in fixed]
                stages = [iter(cand.retrieve(flat)), iter(cand.retrieve(flat, wide=True))]
                # the deep rules for each booking's likeliest reading only (the commonest correction), and without
                # D1–D4's dates: every reading with every date cost 8 % of the screening CPU at 1,000,000 subjects
                likeliest = [fixed[0] for fixed in variants.values()]
                deeper = iter(
                    cand.retrieve(likeliest, deep=True, dates=False) if SPELLING_DEEP else [[] for _ in likeliest]
                )
                more: list[list[tuple[int, Rec]]] = []
                for i, fixed in variants.items():
                    done = {p.subject_id for p in found[i]}
                    union: dict[int, Rec] = {}
                    for _ in fixed:
                        union.update((sid, rec) for it in stages for sid, rec in next(it) if sid not in done)
                    union.update((sid, rec) for sid, rec in next(deeper) if sid not in done)
                    more.append(list(union.items()))
                spell_tf = _tf(more)
                for (i, fixed), cands in zip(variants.items(), more, strict=True):
                    best[i] = max(best[i], _score(i, cands, spell_tf, read_as=fixed))
                result.spelled = len(variants)

        # A booking left without any proposal shows the officer its nearest candidate, when that one is near enough.
        for i, nearest in near.items():
            if not found[i]:
                ranked = sorted(nearest.items(), key=lambda t: (-t[1][0], t[0]))
                for sid, (_w, other, used, near_tf, read_as) in ranked[:NEAREST_KEEP]:
                    _propose(i, sid, used, other, near_tf, NEAREST_FLOOR, read_as)
                    bar_p = threshold if keys[i].dob is not None else no_dob_threshold
                    explanations[(i, sid)]["nearest_record"] = (
                        f"no candidate reached this class's review threshold ({bar_p}): the nearest one is shown"
                    )

    persist(actor, bookings, found, explanations, version, at, result, refresh=refresh, audit=audit)
    return result


def _first_stage(keys: list[Keys], prefetched: Mapping[Keys, list[tuple[int, Rec]]]) -> list[list[tuple[int, Rec]]]:
    missing = [k for k in keys if k not in prefetched]
    fetched = dict(zip(missing, cand.retrieve(missing), strict=True)) if missing else {}
    return [prefetched[k] if k in prefetched else fetched[k] for k in keys]


def screen_booking(*, actor: User, booking: Booking, at: datetime | None = None) -> ScreenResult:
    authorize(actor, "screen_booking")
    return screen_bookings(actor=actor, bookings=[booking], at=at)


__all__ = [
    "BIOMETRIC_VERSION",
    "BookingScreen",
    "Proposal",
    "ScreenResult",
    "active_model",
    "model_gate_failures",
    "registry_keys_bulk",
    "registry_subject_add",
    "screen_booking",
    "screen_bookings",
    "screening_model_store",
]
