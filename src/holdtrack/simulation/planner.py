"""The plan: every detainer story of a run with all its random draws, made before anything is applied.

The plan depends only on the seed, the window and the reference data (read in a fixed order), so two planners
with the same inputs produce equal plans. One ``random.Random(seed)`` draws the daily counts, times and
receiving LEAs; each story then draws its own attributes from ``random.Random`` seeded with (seed, story
number), so a change to one story's draws never shifts another's. The engine later chooses between the
pre-drawn alternatives according to what local law and the services allow.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency
from holdtrack.simulation import params as P
from holdtrack.simulation.people import Person, make_person

DETAINER = "detainer"
REJECTED = "rejected_match"


@dataclass(frozen=True)
class LeaInfo:
    pk: int
    ori: str
    state: str
    fips: str
    aor_id: int
    aor_name: str
    facility_pk: int
    district: str


def load_leas() -> list[LeaInfo]:
    """Receiving LEAs: those with a facility and an area of responsibility, ordered by ORI."""
    first_facility: dict[int, int] = {}
    for pk, operator_id in Facility.objects.order_by("code").values_list("pk", "operator_id"):
        first_facility.setdefault(operator_id, pk)
    rows = (
        LawEnforcementAgency.objects.filter(jurisdiction__aor__isnull=False)
        .order_by("ori")
        .values_list("pk", "ori", "jurisdiction__state_abbr", "jurisdiction__fips", "jurisdiction__aor_id")
    )
    aor_names = dict(
        LawEnforcementAgency.objects.filter(jurisdiction__aor__isnull=False)
        .values_list("jurisdiction__aor_id", "jurisdiction__aor__name")
        .distinct()
    )
    leas = []
    for pk, ori, state, fips, aor_id in rows:
        if pk in first_facility:
            leas.append(
                LeaInfo(
                    pk, ori, state, fips, aor_id, aor_names[aor_id], first_facility[pk], P.district_for(state, fips)
                )
            )
    return leas


@dataclass(frozen=True)
class Story:
    n: int
    kind: str
    lea_ori: str
    booked_at: datetime
    prepare_at: datetime  # for a rejected match: when the officer reviews it
    eligible_at: datetime  # planned release eligibility (a rejected match: release)
    person: Person
    charge_level: str = "MISDEMEANOR"
    charges: tuple[str, ...] = ()
    serious_conviction: bool = False
    form_type: str = "I247A"
    pc_bases: tuple[str, ...] = ()
    charging_document: str = "NONE"
    warrant_type: str = ""
    judicial_warrant: bool = False
    missing_warrant: bool = False
    released_before_receipt: bool = False
    delays: tuple[float, ...] = ()  # minutes, in the order of params.DELAY_MINUTES
    eligibility_reason: str = "SENTENCE_COMPLETE"
    decision_u: float = 0.0
    fate: str = "normal"
    fate_u: float = 0.5
    fate_detail: str = ""
    transfer_u: float = 0.0
    notice_u: float = 1.0
    lead_hours: float = 0.0
    arrival_hours: float | None = None  # None: the agency does not come
    late_hours: float = 0.0
    release_delay_minutes: float = 30.0
    service_method: str = "IN_PERSON"
    claim: str = ""  # "", "BOOKING" (raised from booking data) or "LATER" (raised while active)
    claim_verified: bool = False
    claim_open_hours: float = 0.0
    claim_resolve_days: float = 0.0
    pickup_u: float = 1.0

    def delay(self, name: str) -> timedelta:
        return timedelta(minutes=self.delays[list(P.DELAY_MINUTES).index(name)])


@dataclass(frozen=True)
class Plan:
    seed: int
    days: int
    scale: float
    start: datetime
    end: datetime  # end of the last simulated day (exclusive)
    stories: tuple[Story, ...]
    top9_weight_share: float
    lea_oris: tuple[str, ...] = field(default=(), repr=False)

    @property
    def detainer_count(self) -> int:
        return sum(1 for s in self.stories if s.kind == DETAINER)


def booking_prefix(seed: int) -> str:
    return f"S{seed}-"


def booking_number(seed: int, n: int) -> str:
    return f"{booking_prefix(seed)}{n:07d}"


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _mixture(rng: random.Random, table: tuple[tuple[float, float, float], ...]) -> float | None:
    u = rng.random()
    for share, lo, hi in table:
        if u < share:
            return rng.uniform(lo, hi)
        u -= share
    return None


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def lea_weights(rng: random.Random, leas: list[LeaInfo]) -> list[float]:
    """Heavy-tailed weights rescaled to the sourced state shares and capped per LEA (see params)."""
    raw = [rng.lognormvariate(0.0, P.LEA_SIGMA) for _ in leas]
    groups = {lea.state if lea.state in P.STATE_SHARES else "*" for lea in leas}
    keys = [lea.state if lea.state in P.STATE_SHARES else "*" for lea in leas]
    target = {k: P.STATE_SHARES.get(k, 0.0) for k in sorted(groups)}  # sorted: float sums in a fixed order
    target["*"] = 1.0 - sum(v for k, v in target.items() if k != "*")
    weights = raw
    # Alternate the state rescaling and the per-LEA cap: each pass restores the state shares the cap disturbed.
    for _ in range(20):
        sums: dict[str, float] = {}
        for k, w in zip(keys, weights, strict=True):
            sums[k] = sums.get(k, 0.0) + w
        weights = [w * target[k] / sums[k] for k, w in zip(keys, weights, strict=True)]
        weights = [min(w, P.MAX_LEA_SHARE) for w in weights]
    return weights


def top_share(values: list[float], fraction: float = 0.09) -> float:
    ordered = sorted(values, reverse=True)
    k = max(1, round(len(ordered) * fraction))
    total = sum(ordered)
    return sum(ordered[:k]) / total if total else 0.0


def _time_of_day(rng: random.Random) -> timedelta:
    # Most detainers are prepared in US daytime (about 13:00–01:00 UTC) [A].
    if rng.random() < 0.75:
        return timedelta(hours=13 + rng.random() * 12)
    return timedelta(hours=rng.random() * 24)


def window(days: int, end: date) -> tuple[datetime, datetime]:
    """[start, end) of the simulated days: the ``days`` calendar days (UTC) ending with ``end``."""
    stop = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    return stop - timedelta(days=days), stop


def build_plan(seed: int, days: int, scale: float, end: date, leas: list[LeaInfo] | None = None) -> Plan:
    leas = load_leas() if leas is None else leas
    if not leas:
        raise ValueError("No law enforcement agencies with a facility: load the reference data first.")
    start, stop = window(days, end)
    rng = random.Random(seed)
    weights = lea_weights(rng, leas)
    cum = list(accumulate(weights))
    total = cum[-1]

    def pick_lea() -> LeaInfo:
        return leas[min(bisect.bisect_right(cum, rng.random() * total), len(leas) - 1)]

    month_factor: dict[tuple[int, int], float] = {}
    skeleton: list[tuple[int, str, LeaInfo, datetime]] = []
    n = 0
    for i in range(days):
        day = start + timedelta(days=i)
        key = (day.year, day.month)
        if key not in month_factor:
            month_factor[key] = 1.0 + rng.uniform(-P.MONTHLY_NOISE, P.MONTHLY_NOISE)
        mean = P.WEEKDAY_PER_DAY * scale * month_factor[key] * (P.WEEKEND_FACTOR if day.weekday() >= 5 else 1.0)
        count, rejected = poisson(rng, mean), poisson(rng, mean * P.REJECTED_MATCH_SHARE)
        kinds = [DETAINER] * count + [REJECTED] * rejected
        for kind in kinds:
            n += 1
            skeleton.append((n, kind, pick_lea(), day + _time_of_day(rng)))

    detainer_ns = [s[0] for s in skeleton if s[1] == DETAINER]
    claims = poisson(rng, P.CLAIM_RATE * len(detainer_ns))
    if len(detainer_ns) >= P.CLAIM_MIN_STORIES:
        claims = max(claims, 1)
    claim_ns = set(rng.sample(detainer_ns, min(claims, len(detainer_ns))))

    stories = tuple(
        _story(seed, n, kind, lea, at, n in claim_ns) if kind == DETAINER else _rejected(seed, n, lea, at)
        for n, kind, lea, at in skeleton
    )
    return Plan(
        seed=seed,
        days=days,
        scale=scale,
        start=start,
        end=stop,
        stories=stories,
        top9_weight_share=round(top_share(weights), 4),
        lea_oris=tuple(lea.ori for lea in leas),
    )


def _story_rng(seed: int, n: int) -> random.Random:
    return random.Random(seed * 10_000_019 + n)


def _rejected(seed: int, n: int, lea: LeaInfo, at: datetime) -> Story:
    rng = _story_rng(seed, n)
    person = make_person(rng, at.date())
    stay = min(rng.lognormvariate(math.log(P.REJECTED_STAY_MEDIAN_DAYS), P.REJECTED_STAY_SIGMA), 365.0)
    review = at + timedelta(minutes=rng.uniform(30, 600))
    return Story(
        n=n,
        kind=REJECTED,
        lea_ori=lea.ori,
        booked_at=at,
        prepare_at=review,
        eligible_at=max(review + timedelta(hours=1), at + timedelta(days=stay)),
        person=person,
        delays=tuple(rng.uniform(lo, hi) for lo, hi in P.DELAY_MINUTES.values()),
    )


def _story(seed: int, n: int, kind: str, lea: LeaInfo, prepare_at: datetime, claim: bool) -> Story:
    rng = _story_rng(seed, n)
    gap_days = min(rng.lognormvariate(math.log(P.PREPARE_MEDIAN_DAYS), P.PREPARE_SIGMA), P.PREPARE_MAX_DAYS)
    booked_at = prepare_at - max(timedelta(days=gap_days), timedelta(minutes=20))
    stay_days = min(rng.lognormvariate(math.log(P.STAY_MEDIAN_DAYS), P.STAY_SIGMA), P.STAY_MAX_DAYS)
    person = make_person(rng, booked_at.date())
    notify_form = rng.random() < P.NOTIFY_FORM_SHARE
    form_type = _pick(rng, P.NOTIFY_FORMS) if notify_form else "I247A"
    bases = ["BIOMETRIC_AND_DATABASE"]
    final_order = rng.random() < P.PC_FINAL_ORDER_P
    pending = not final_order and rng.random() < P.PC_PENDING_P
    if final_order:
        bases.append("FINAL_ORDER")
    if pending:
        bases.append("PENDING_PROCEEDINGS")
    if rng.random() < P.PC_STATEMENTS_P:
        bases.append("STATEMENTS_OR_OTHER")
    charges = tuple(sorted(rng.sample(P.CHARGES, rng.choice((1, 1, 2)))))
    fate_draw = rng.random()
    fate, acc = "normal", 0.0
    for name, share in P.FATES:
        acc += share
        if fate_draw < acc:
            fate = name
            break
    detail = {
        "lift": lambda: _pick(rng, P.LIFT_REASONS),
        "supersede": lambda: _pick(rng, P.SUPERSEDE_REASONS),
        "early_release": lambda: _pick(rng, P.EARLY_RELEASE_TYPES),
    }.get(fate, lambda: "")()
    no_show_late = rng.random() < P.LATE_RELEASE_P
    claim_mode = ("BOOKING" if rng.random() < P.CLAIM_AT_BOOKING_SHARE else "LATER") if claim else ""
    return Story(
        n=n,
        kind=kind,
        lea_ori=lea.ori,
        booked_at=booked_at,
        prepare_at=prepare_at,
        eligible_at=booked_at + timedelta(days=stay_days),
        person=person,
        charge_level=_pick(rng, P.CHARGE_LEVELS),
        charges=charges,
        serious_conviction=rng.random() < P.SERIOUS_CONVICTION_P,
        form_type=form_type,
        pc_bases=tuple(bases),
        charging_document="NOTICE_TO_APPEAR" if pending else "NONE",
        warrant_type="" if notify_form else ("I205" if final_order else "I200"),
        judicial_warrant=not notify_form and rng.random() < P.JUDICIAL_WARRANT_P,
        missing_warrant=not notify_form and not claim and rng.random() < P.MISSING_WARRANT_P,
        released_before_receipt=not claim and rng.random() < P.RELEASED_BEFORE_RECEIPT_P,
        delays=tuple(rng.uniform(lo, hi) for lo, hi in P.DELAY_MINUTES.values()),
        eligibility_reason=_pick(rng, P.ELIGIBILITY_REASONS),
        decision_u=rng.random(),
        fate="normal" if claim else fate,
        fate_u=rng.uniform(0.05, 0.95),
        fate_detail=detail,
        transfer_u=rng.random(),
        notice_u=rng.random(),
        lead_hours=_mixture(rng, P.NOTICE_LEAD) or 1.0,
        arrival_hours=_mixture(rng, P.ARRIVAL),
        late_hours=rng.uniform(*P.LATE_RELEASE_HOURS) if no_show_late else 0.0,
        release_delay_minutes=rng.uniform(5, 120),
        service_method="INMATE_MAIL" if rng.random() < 0.15 else "IN_PERSON",
        claim=claim_mode,
        claim_verified=rng.random() < P.CLAIM_VERIFIED_P,
        claim_open_hours=rng.uniform(*P.CLAIM_OPEN_AFTER_DECISION_HOURS),
        claim_resolve_days=rng.uniform(*P.CLAIM_RESOLVE_DAYS),
        pickup_u=rng.random(),
    )
