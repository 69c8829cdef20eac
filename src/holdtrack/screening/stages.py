"""The stages that screen a batch of booked records against the registry: retrieval through the blocking rules
(``candidates``) and scoring with the stored model (``fs_model``). Nothing here stores or authorizes anything:
``services.screen_bookings`` stores what ``decide`` proposes, under its actor's authority, and the intake's feed
screener runs ``decide`` for the next chunk on a second connection while the current one is written
(``prefetch``). Like ``candidates.retrieve``, it reads the whole registry: screening compares every booking with it.

1. Biometric: an FBI number equal to a registry subject's is that subject (score 1.0); nothing else is scored.
2. First stage: the blocking rules; every candidate is scored, the best above the class's threshold proposed.
3. Wide stage, for a booking without a confident proposal; deep stage, for one still without any (ADR 0029).
4. Spelling, A-number and FBI-number slips (ADR 0038, 0040), for a booking still without a proposal.
5. Namesakes (ADR 0042): a booking without a DOB still without a confident proposal gets every registry record
   that shares each field it carries, when they are few (``namesakes``); when they are a crowd, none of them is
   proposed by any stage (ADR 0045).
6. The nearest record (ADR 0039): a booking left without any proposal shows its nearest candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from holdtrack.core.rows import read_all
from holdtrack.custody.models import IdentifierType, MatchBasis
from holdtrack.screening import candidates as cand
from holdtrack.screening import identifiers, namesakes, spelling
from holdtrack.screening.frequencies import TermFrequencies, frequencies_for
from holdtrack.screening.fs_model import TF_FIELDS, Rec, Scorer, fbi_conflict, probability
from holdtrack.screening.keys import Keys
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.proposals import Proposal

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
# A booking with a DOB keeps a tie at its fifth proposal whole too (ADR 0053): a 1 January DOB (a year only) on a
# common name ties every namesake born that year, and a cut by subject id proposed five of them by lot. Up to
# sixty, as a dateless booking's namesakes (ADR 0063). MAX_PROPOSALS_PER_BOOKING cuts ties as before (benches only).
MAX_TIED_WITH_DOB = 60
# A booking that no candidate brings to its class's threshold gets its nearest candidate proposed, when that one
# reaches this probability: a DOB slip on a common name (its term frequency lowers the names' weight) otherwise
# leaves the officer nothing to look at. Chosen on the harder benchmark, seed 1 (docs/benchmarks.md, "The nearest
# record"): at 0.01, 14 more true pairs for 276 proposals (5 % true); 0.005 adds 1 more for 68, and keeping the
# three nearest 2 more for 204.
NEAREST_FLOOR = 0.01
NEAREST_KEEP = 1
# ... and with the candidates as near as it (a tie no field breaks), up to this many (ADR 0054): a 1 January DOB
# on a common name leaves every namesake of that year equally near, and a cut by subject id showed one by lot. At
# 1,000,000 subjects 10 found 7 more true pairs for 350 proposals (5: 6 for 257; 30: 8 for 486); at 100,000, 2
# for 181 (docs/benchmarks.md, "The nearest record's tie"). Sixty since a 1 January DOB ties every day of its year
# (ADR 0063): a crowd of a year's namesakes is shown whole up to the dateless bound. 1 cuts the tie (benches only).
NEAREST_MAX_TIED = 60
# ... and beside proposals at the threshold none of which reaches this probability (ADR 0061): a weak proposal
# (a namesake at 0.25) is no reason to hide the next candidate. Chosen on the harder benchmark: at 0.3, 3 more true
# pairs for 151 proposals at 1,000,000 subjects and 2 for 53 at 100,000; 0.5 finds the same for 276 and 114
# (docs/benchmarks.md, "The nearest record beside weak proposals"). 0 shows it only without a proposal.
NEAREST_BELOW_PROBABILITY = 0.3
# A booking whose best first-stage proposal is below this probability is probed again by the wide blocking rules.
WIDE_BELOW_PROBABILITY = 0.99
WIDE_BELOW_WEIGHT = math.log2(WIDE_BELOW_PROBABILITY / (1 - WIDE_BELOW_PROBABILITY))
# The third (deep) stage (ADR 0029); off only to measure its cost (bench/ingest.py --no-deep).
DEEP_STAGE = True
# ... run for a booking with a DOB while its best proposal is under 0.9 (ADR 0056, 0065): a namesake just over the
# threshold, or another person at 0.7, is no reason to stop looking. At its threshold (0.2) instead, 2 pairs fewer
# at 1,000,000 subjects (docs/benchmarks.md, "The deep stage under 0.5"); from 0.5 to 0.9, 3 more through the CLI
# (seed 7) for 15 proposals ("The deep stage under 0.9"). The class threshold, if higher, stands.
DEEP_BELOW_PROBABILITY = 0.9
SPELLING_STAGE = True  # off only to measure it
SPELLING_DEEP = True  # the corrected names probed by the deep rules too (off: the first two stages' only)
A_NUMBER_SLIPS = True  # the same
FBI_SLIPS = True  # the same
NAMESAKES_NO_DOB = True  # stage five; off only to measure what it brings
NAMESAKES_SPELLED = True  # ... and its namesakes as the spelling stage reads a misspelt name
NO_CROWD = True  # ... and a crowd of namesakes proposed not at all (off only to measure it)
# The registry records whose A-number equals the booking's join its first-stage candidates (scored, never a
# match by themselves); off only to measure what the probe brings (bench/screening_febrl4.py --no-a-number-probe).
A_NUMBER_PROBE = True
# Each decision keeps the ids of every registry record it compared (``Decision.compared``): for the benches'
# candidate recall only, as a bulk feed would carry ~70 ids a booking to the importer for nothing.
KEEP_COMPARED = False

Candidates = list[tuple[int, Rec]]

_scorers: dict[str, Scorer] = {}


def active_model() -> ScreeningModel | None:
    # The splink JSON is read once per version (scorer_for caches the scorer), not on every screen; the statement
    # is compiled once (every booking an API client posts asks).
    found = read_all(
        ("screening.active_model",),
        lambda: ScreeningModel.objects.filter(active=True).defer("splink_model").order_by("-trained_at", "-id")[:1],
    )
    return found[0] if found else None


def scorer_for(model: ScreeningModel) -> Scorer:
    s = _scorers.get(model.version)
    if s is None:
        s = _scorers[model.version] = Scorer.from_splink(model.splink_model)
    return s


@dataclass(frozen=True)
class Booked:
    """A booked record as screening reads it."""

    keys: Keys
    fbi: str
    a_number: str
    own: int | None = None  # the booking's own subject, never its own candidate (None: not stored yet)


@dataclass
class Decision:
    """What screening proposes for one booked record, before anything is stored."""

    model_version: str
    proposals: list[Proposal] = field(default_factory=list)
    explanations: dict[int, dict[str, Any]] = field(default_factory=dict)  # registry subject id → explanation
    candidates: int = 0
    biometric: bool = False
    wide: bool = False
    deep: bool = False
    spelled: bool = False
    compared: set[int] = field(default_factory=set)  # with ``KEEP_COMPARED`` only


def biometric_explanation(fbi: str, version: str) -> dict[str, Any]:
    return {
        "basis": MatchBasis.BIOMETRIC,
        "identifier": IdentifierType.FBI_UCN,
        "value": fbi,
        "summary": "The FBI number on the booking equals the registry subject's FBI UCN; biographic scoring "
        "was skipped for this booking.",
        "score": 1.0,
        "model_version": version,
    }


def _kept_with_tie(weights: Sequence[float], keep: int, cap: int) -> tuple[int, int, int, float]:
    """How many of ``weights`` (best first) are kept: ``keep``, and the tie at the last kept one whole, up to
    ``cap`` in all. Returns (that number, the tie's size, how many of it are kept, its weight); the size is 0
    when no tie crosses the cut."""
    if len(weights) <= keep:
        return keep, 0, 0, math.inf
    last = weights[keep - 1]
    kept = sum(1 for w in weights[:keep] if w <= last + 1e-9)
    tied = sum(1 for w in weights[keep:] if w >= last - 1e-9)
    more = min(cap, keep + tied) - keep
    return keep + more, (kept + tied if tied else 0), (kept + more if tied else 0), last


def _tie_note(tie: int, shown: int, k: Keys) -> str:
    """What a reviewer reads on a proposal kept as one of a tie (``MAX_TIED_NO_DOB``, ``MAX_TIED_WITH_DOB``)."""
    why = ""
    if k.dob is not None and (k.dob.month, k.dob.day) == (1, 1):
        why = " (its DOB is 1 January, which feeds record when only the year is known)"
    return (
        f"one of {tie} registry records scoring exactly alike against this booking, {shown} of them proposed: "
        f"nothing the booking carries tells them apart{why}"
    )


def decide(booked: Sequence[Booked], model: ScreeningModel | None) -> list[Decision]:
    """The proposals of each booked record, with their explanations (see the module docstring). Without a model
    only the biometric step runs."""
    scorer = scorer_for(model) if model else None
    version = model.version if model else ""
    threshold = model.review_threshold if model else None
    min_weight = math.log2(threshold / (1 - threshold)) if threshold else math.inf
    # A booking without a date of birth is screened on names and the other fields, against its own bar.
    no_dob_threshold = NO_DOB_REVIEW_THRESHOLD if threshold else None
    no_dob_weight = math.log2(no_dob_threshold / (1 - no_dob_threshold)) if no_dob_threshold else math.inf
    near_weight = math.log2(NEAREST_FLOOR / (1 - NEAREST_FLOOR)) if threshold and NEAREST_FLOOR else math.inf
    out = [Decision(version) for _ in booked]
    if not booked:
        return out

    keys = [b.keys for b in booked]
    fbis = [b.fbi for b in booked]
    anums = [b.a_number for b in booked]
    bio = identifiers.biometric(fbis)
    need: list[int] = []
    for i, b in enumerate(booked):
        sid = bio.get(b.fbi) if b.fbi else None
        if sid is not None and sid != b.own:
            out[i].proposals.append(Proposal(sid, MatchBasis.BIOMETRIC, 1.0))
            out[i].explanations[sid] = biometric_explanation(b.fbi, version)
            out[i].biometric = True
            if KEEP_COMPARED:
                out[i].compared.add(sid)
        elif scorer is not None:
            need.append(i)
    if scorer is None or not need:
        return out

    def _tf(retrieved: list[Candidates]) -> TermFrequencies | None:
        return frequencies_for((n, other[f]) for cands in retrieved for _, other in cands for n, f in TF_FIELDS.items())

    # booking → candidate → its best weight below the bar, with what it was scored from
    near: dict[int, dict[int, tuple[float, Rec, Rec, TermFrequencies | None, Keys | None]]] = {}
    proposed: dict[int, dict[int, Rec]] = {}  # booking → proposed registry record → the record, for the crowd

    def _propose(
        i: int, sid: int, used: Rec, other: Rec, tf: TermFrequencies | None, bar_p: float | None, read_as: Keys | None
    ) -> None:
        assert scorer is not None
        total, terms = scorer.explain(used, other, tf)
        prob = probability(total)
        proposed.setdefault(i, {})[sid] = other
        out[i].proposals.append(
            Proposal(sid, MatchBasis.BIOGRAPHIC, prob, identifier_conflict=fbi_conflict(used, other))
        )
        out[i].explanations[sid] = {
            "basis": MatchBasis.BIOGRAPHIC,
            "model_version": version,
            "review_threshold": bar_p,
            "prior": {"probability": scorer.prior, "weight": scorer.prior_weight},
            "comparisons": terms,
            "total_weight": total,
            "probability": prob,
        }
        if read_as is not None:
            out[i].explanations[sid]["read_as"] = {"first_name": read_as.first_norm, "last_name": read_as.last_norm}

    def _score(i: int, cands: Candidates, tf: TermFrequencies | None, read_as: Sequence[Keys] = ()) -> float:
        """Score booking ``i``'s candidates and propose the best above its class's threshold; returns the best
        proposal's weight (-inf when none). ``read_as``: the booking's names with a misspelling corrected
        (``spelling``); a candidate is scored against the booking as written and as each correction reads it, and
        the best reading counts."""
        assert scorer is not None
        own = booked[i].own
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
        out[i].candidates += len(cands)
        if KEEP_COMPARED:
            out[i].compared.update(sid for sid, _ in cands)
        scored.sort(key=lambda t: (-t[0], t[1]))
        # Namesakes no field separates score alike: cutting a tie by subject id would drop one at random.
        cap = MAX_TIED_NO_DOB if keys[i].dob is None else MAX_TIED_WITH_DOB
        keep, tie, shown, last = _kept_with_tie([t[0] for t in scored], keep, cap)
        for w, sid, other, used, as_read in scored[:keep]:
            _propose(i, sid, used, other, tf, bar_p, as_read)
            if tie and w <= last + 1e-9:  # the reviewer is told the proposal is one of a tie, and how many it holds
                out[i].explanations[sid]["tie"] = _tie_note(tie, shown, keys[i])
        return scored[0][0] if scored else -math.inf

    retrieved = cand.retrieve([keys[i] for i in need])
    if A_NUMBER_PROBE and any(anums[i] for i in need):
        by_anum = identifiers.by_a_number([anums[i] for i in need])
        for j, i in enumerate(need):
            extra = by_anum.get(anums[i]) if anums[i] else None
            if extra:
                # a new list: the retrieved ones may be shared (bookings with the same keys)
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
        for i in wide:
            out[i].wide = True
    # Stage three: a booking whose best proposal is still under ``DEEP_BELOW_PROBABILITY`` is
    # probed with its DOB as a keying slip would have left it and one name sound, or without a DOB with one
    # exact name and the other's initial (candidates._DEEP_RULES).
    # A booking without a DOB goes on while it has no confident proposal: a namesake's proposal at its low
    # bar says little (such bookings are rare in a feed, so the cost is small).
    deep_p = DEEP_BELOW_PROBABILITY
    deep_bar = max(min_weight, math.log2(deep_p / (1 - deep_p)) if deep_p > 0 else -math.inf)
    deep = [i for i in wide if DEEP_STAGE and (keys[i].dob is None or best[i] < deep_bar)]
    if deep:
        _stage(deep, deep=True)
        for i in deep:
            out[i].deep = True
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
    variants: dict[int, list[Keys]] = {}
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
            more: list[Candidates] = []
            for i, fixed in variants.items():
                done = {p.subject_id for p in out[i].proposals}
                union: dict[int, Rec] = {}
                for _ in fixed:
                    union.update((sid, rec) for it in stages for sid, rec in next(it) if sid not in done)
                union.update((sid, rec) for sid, rec in next(deeper) if sid not in done)
                more.append(list(union.items()))
            spell_tf = _tf(more)
            for (i, fixed), cands in zip(variants.items(), more, strict=True):
                best[i] = max(best[i], _score(i, cands, spell_tf, read_as=fixed))
                out[i].spelled = True

    # Stage five (ADR 0042): a booking without a DOB still without a confident proposal, whose every carried
    # field a few registry records share exactly, has each of them proposed whatever its probability: nothing
    # the booking carries tells them apart, and the person is among them if in the registry at all. One whose
    # FBI number or A-number disagrees is told apart by it, and left out.
    # A misspelt name is read as the spelling stage corrected it too (each reading's namesakes bounded alone).
    # Every dateless booking is read for its crowd (below), even one with confident proposals: a crowd's records
    # score alike, so none of them can be confidently the person (a small registry's prior can make them seem so).
    dateless = [i for i in need if NAMESAKES_NO_DOB and keys[i].dob is None]
    few = {i for i in dateless if best[i] < WIDE_BELOW_WEIGHT}
    crowd: set[int] = set()
    if dateless:
        readings = [(i, v) for i in dateless for v in (None, *(variants.get(i, []) if NAMESAKES_SPELLED else []))]
        found = namesakes.of([v or keys[i] for i, v in readings], [booked[i].own for i, _ in readings])
        same_tf = _tf([c for c in found if c is not None])
        taken = {i: {p.subject_id for p in out[i].proposals} for i in few}
        for (i, v), sakes in zip(readings, found, strict=True):
            if sakes is None:
                if v is None and NO_CROWD:
                    crowd.add(i)
                continue
            if i not in few:
                continue
            mine = cand.booking_rec(v or keys[i], fbis[i], anums[i])
            out[i].candidates += sum(1 for sid, _ in sakes if sid not in seen[i])
            seen[i].update(sid for sid, _ in sakes)
            if KEEP_COMPARED:
                out[i].compared.update(sid for sid, _ in sakes)
            for sid, other in sakes:
                if sid not in taken[i] and not namesakes.separated(mine, other):
                    taken[i].add(sid)
                    _propose(i, sid, mine, other, same_tf, no_dob_threshold, v)
                    out[i].explanations[sid]["namesakes"] = (
                        f"one of {len(sakes)} registry records bearing this booking's names, sex and birth country "
                        "(those it carries"
                        + ("" if namesakes.exact(mine, other) else "; this one with a second surname or given name "
                           "the booking lacks")
                        + "); without a DOB nothing else on it tells them apart"
                    )  # fmt: skip

    # More than namesakes.CROWD records share every field of a dateless booking as written (a crowd): nothing on
    # it tells them apart, so the ones an earlier stage proposed by probability are drawn by lot (up to thirty
    # tied "Jean Joseph"s, male, Haiti, of 1,193 at 1,000,000 subjects). None of them is proposed, as stage five
    # proposes none; a record that differs on a carried field, or a biometric match, stays.
    for i in crowd:
        mine = cand.booking_rec(keys[i], fbis[i], anums[i])
        drawn = {sid for sid, rec in proposed.get(i, {}).items() if namesakes.in_crowd(mine, rec)}
        if drawn:
            out[i].proposals = [p for p in out[i].proposals if p.subject_id not in drawn]
            for sid in drawn:
                del out[i].explanations[sid]

    # A booking left without any proposal, or with weak ones only, shows the officer its nearest candidate under
    # the threshold, when that one is near enough (never one of a crowd).
    for i, nearest in near.items():
        top = max((p.score for p in out[i].proposals), default=None)
        if top is not None:
            if top >= NEAREST_BELOW_PROBABILITY:
                continue  # a confident proposal: nothing under the threshold is shown beside it
            done = {p.subject_id for p in out[i].proposals}
            nearest = {sid: t for sid, t in nearest.items() if sid not in done}
        if i in crowd:
            mine = cand.booking_rec(keys[i], fbis[i], anums[i])
            nearest = {sid: t for sid, t in nearest.items() if not namesakes.in_crowd(mine, t[1])}
        ranked = sorted(nearest.items(), key=lambda t: (-t[1][0], t[0]))
        # the nearest are kept with their tie (ADR 0054), as proposals at the bar are (ADR 0053)
        keep, tie, shown, last = _kept_with_tie([t[1][0] for t in ranked], NEAREST_KEEP, NEAREST_MAX_TIED)
        keep = min(keep, len(ranked))
        bar_p = threshold if keys[i].dob is not None else no_dob_threshold
        which = "the nearest one is shown" if keep == 1 else f"the {keep} nearest are shown"
        for sid, (w, other, used, near_tf, read_as) in ranked[:keep]:
            _propose(i, sid, used, other, near_tf, NEAREST_FLOOR, read_as)
            out[i].explanations[sid]["nearest_record"] = (
                f"no candidate reached this class's review threshold ({bar_p}): {which}"
                if top is None
                else f"the proposals at this class's review threshold ({bar_p}) are each under "
                f"{NEAREST_BELOW_PROBABILITY}: {which} under it as well"
            )
            if tie and w <= last + 1e-9:
                out[i].explanations[sid]["tie"] = _tie_note(tie, shown, keys[i])
    return out
