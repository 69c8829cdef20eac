"""The harder synthetic registry and booking feed (issue 10 §3 a): every corruption family of the independent
test set that beat the screening, and near-miss people.

``hard_world(size, seed)`` draws a registry of ``size`` people in the registry-import columns (a second surname
of its own, Vietnamese names with diacritics, Arabic names, an FBI number for most) with **near-miss people**:
for ``NEAR_MISS_SHARE`` of the people a relative is made (``NEAR_MISS_KINDS``: twin, sibling, parent/child, a
namesake with another DOB, a namesake with the same DOB and another FBI number); ``RELATIVE_IN_REGISTRY`` of
those relatives are registry subjects too (a wrong candidate for the other), the rest live outside the registry
(their bookings must link to nobody). ``hard_bookings(world, …)`` turns it into booking-feed rows:

- ``BOOKING_MIX``: a registry person; a registry person whose relative is also in the registry; a relative outside
  the registry; someone unrelated outside the registry.
- A registry person's booking gets name families (``NAME_RATES``, each drawn when it applies to the person), at
  most one DOB error (``DOB_RATES``, one draw), agency habits (``HABIT_RATES``) and the subject's FBI number with
  ``FBI_SHARE`` (a one-character typo in ``FBI_TYPO`` of those). People outside get the habits only.
- The truth per booking: the registry key (the file's ``subject_id``) or None, and the families applied
  (``near_miss_in_registry:<kind>``, ``near_miss_outside:<kind>``, ``outsider`` tag the kind of booking).

Separate random streams from the default generator (``simulation.registry``), whose output stays as it was.
All people are synthetic; the names are common names drawn independently.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from holdtrack.custody.ingest.canonical import COLUMNS
from holdtrack.simulation.hard_names import (
    AR_FEMALE,
    AR_MALE,
    AR_SURNAMES,
    HARD_COUNTRIES,
    HARD_NICKNAMES,
    TRANSLITERATIONS,
    VD_FEMALE,
    VD_MALE,
    VD_MIDDLE_FEMALE,
    VD_MIDDLE_MALE,
    VD_SURNAMES,
)
from holdtrack.simulation.names import REG_FEMALE, REG_MALE, REG_SURNAMES
from holdtrack.simulation.registry import REF_DATE

REGISTRY_COLUMNS = (
    "subject_id", "first_name", "middle_name", "last_name", "second_last_name", "dob", "sex", "birth_country",
    "fbi_number", "a_number",
)  # fmt: skip
NEAR_MISS_SHARE = 0.06  # registry people who get a near-miss relative
RELATIVE_IN_REGISTRY = 0.5  # of those relatives, the share that are registry subjects too
NEAR_MISS_KINDS: tuple[tuple[str, float], ...] = (
    ("twin", 0.2),  # same surnames and DOB, another given name
    ("sibling", 0.25),  # same surnames and parents' country, DOB 1-6 years apart
    ("parent_child", 0.25),  # same full name, DOB 20-35 years apart
    ("same_name_other_dob", 0.15),  # an unrelated namesake
    ("same_name_dob_other_fbi", 0.15),  # same name and DOB, another FBI number
)
REGISTRY_FBI_SHARE = 0.9  # registry subjects with an FBI number (always both of a near-miss pair)
BOOKING_MIX: tuple[tuple[str, float], ...] = (
    ("registry", 0.62),
    ("near_miss_in_registry", 0.08),
    ("near_miss_outside", 0.10),
    ("outsider", 0.20),
)
# Name families: the probability for a booking whose registry person the family can apply to.
NAME_RATES: dict[str, float] = {
    "middle_as_first": 0.10,  # the person goes by the middle name (needs a middle name)
    "nickname": 0.12,  # needs a known nickname of the given name
    "transliterated_given": 0.30,  # needs a spelling variant of the given name
    "transliterated_surname": 0.30,  # needs a spelling variant of the surname
    "second_surname_to_middle": 0.25,  # "García López" booked as middle "López", last "García"
    "second_surname_dropped": 0.10,
    "typo": 0.10,
    "swapped_names": 0.04,
}
# DOB errors: one categorical draw per registry person's booking (at most one; the rest keep the DOB).
DOB_RATES: dict[str, float] = {
    "missing_dob": 0.05,
    "dob_jan1": 0.04,  # the feed defaulted an unknown day and month to 1 January
    "dob_month_off": 0.04,  # month one off
    "dob_digit": 0.05,  # one digit of YYYYMMDD off (still a valid date)
    "dob_day_month_swap": 0.08,  # needs day <= 12 and day != month
}
HABIT_RATES: dict[str, float] = {
    "upper_case": 0.5,
    "stripped_accents": 0.6,  # needs an accent in the names
    "dropped_middle": 0.4,  # needs a middle name (not after second_surname_to_middle / middle_as_first)
    "missing_sex": 0.03,
    "missing_country": 0.15,
}
FBI_SHARE = 0.3  # a registry person's booking carries the subject's FBI number
FBI_TYPO = 0.05  # of those, one character off
RELATIVE_FBI_SHARE = 0.5  # an outside relative's booking carries their own FBI number (always for ..._other_fbi)
OUTSIDER_FBI_SHARE = 0.15
FAMILIES = (*NAME_RATES, *DOB_RATES, *HABIT_RATES, "fbi_typo")

_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _zipf(names: Sequence[str], s: float = 0.9) -> tuple[Sequence[str], list[float]]:
    return names, list(accumulate(1.0 / (i + 1) ** s for i in range(len(names))))


_COUNTRY_CUM = list(accumulate(c[1] for c in HARD_COUNTRIES))
_SURN = {**{g: _zipf(v) for g, v in REG_SURNAMES.items()}, "vd": _zipf(VD_SURNAMES), "ar": _zipf(AR_SURNAMES)}
_MALE = {**{g: _zipf(v) for g, v in REG_MALE.items()}, "vd": _zipf(VD_MALE), "ar": _zipf(AR_MALE)}
_FEMALE = {**{g: _zipf(v) for g, v in REG_FEMALE.items()}, "vd": _zipf(VD_FEMALE), "ar": _zipf(AR_FEMALE)}
_KIND_CUM = list(accumulate(w for _, w in NEAR_MISS_KINDS))
_MIX_CUM = list(accumulate(w for _, w in BOOKING_MIX))


def _pick(rng: random.Random, table: tuple[Sequence[str], list[float]]) -> str:
    names, cum = table
    return names[bisect(cum, rng.random() * cum[-1])]


def scrambled(prefix: str, n: int) -> str:
    """A synthetic identifier: prefix + 7 base-36 characters of n scrambled (a bijection below 36**7)."""
    salt = int.from_bytes(prefix.encode(), "big") * 7_919_993  # another shift per prefix: no near-equal pairs
    x = (n * 2_654_435_761 + salt) % (36**7)
    out = []
    for _ in range(7):
        x, r = divmod(x, 36)
        out.append(_B36[r])
    return prefix + "".join(out)


@dataclass(frozen=True, slots=True)
class HardPerson:
    key: str  # the registry file's subject_id; "" for a person outside the registry
    first_name: str
    middle_name: str
    last_name: str
    second_last_name: str
    date_of_birth: date
    sex: str
    birth_country: str
    group: str
    fbi_number: str
    relation: str = ""  # near-miss kind shared with ``relative``
    relative: str = ""  # the registry key of the near-miss relative ("" if outside or none)

    @property
    def surnames(self) -> str:
        return f"{self.last_name} {self.second_last_name}" if self.second_last_name else self.last_name


@dataclass
class HardWorld:
    seed: int
    registry: list[HardPerson]
    outside_relatives: list[HardPerson]  # relation/relative name the registry person they near-miss


def _given(rng: random.Random, group: str, sex: str) -> str:
    return _pick(rng, _MALE[group] if sex == "M" else _FEMALE[group])


def _middle(rng: random.Random, group: str, sex: str, first: str) -> str:
    if group == "vd":
        return rng.choice(VD_MIDDLE_MALE if sex == "M" else VD_MIDDLE_FEMALE) if rng.random() < 0.7 else ""
    if group in ("es", "pt", "tl", "en", "ar") and rng.random() < 0.5:
        middle = _given(rng, group, "M" if group == "ar" else sex)  # an Arabic middle name is the father's
        return "" if middle == first else middle
    return ""


def _dob(rng: random.Random) -> date:
    return REF_DATE - timedelta(days=int(rng.triangular(18, 70, 30) * 365.25))


def _person(rng: random.Random, key: str, fbi: str) -> HardPerson:
    country, _w, group = HARD_COUNTRIES[bisect(_COUNTRY_CUM, rng.random() * _COUNTRY_CUM[-1])]
    sex = "M" if rng.random() < 0.85 else "F"
    first = _given(rng, group, sex)
    middle = _middle(rng, group, sex, first)
    last = _pick(rng, _SURN[group])
    second = ""
    if group == "es" and rng.random() < 0.6:
        second = _pick(rng, _SURN[group])
        second = "" if second == last else second
    return HardPerson(key, first, middle, last, second, _dob(rng), sex, country, group, fbi)


def _other_given(rng: random.Random, p: HardPerson, sex: str) -> str:
    for _ in range(20):
        name = _given(rng, p.group, sex)
        if name != p.first_name:
            return name
    return p.first_name + "a"


def _relative(rng: random.Random, p: HardPerson, kind: str, key: str, fbi: str) -> HardPerson:
    """A near-miss of ``p`` (module docstring): a distinct person."""
    age = (REF_DATE - p.date_of_birth).days / 365.25
    if kind == "twin":
        sex = "M" if rng.random() < 0.7 else "F"
        first = _other_given(rng, p, sex)
        return replace(p, key=key, first_name=first, middle_name=_middle(rng, p.group, sex, first), sex=sex,
                       fbi_number=fbi)  # fmt: skip
    if kind == "sibling":
        sex = "M" if rng.random() < 0.7 else "F"
        first = _other_given(rng, p, sex)
        days = rng.choice((-1, 1)) * (rng.randint(1, 6) * 365 + rng.randint(-150, 150))
        dob = min(p.date_of_birth + timedelta(days=days), REF_DATE - timedelta(days=16 * 365))
        return replace(p, key=key, first_name=first, middle_name=_middle(rng, p.group, sex, first), sex=sex,
                       date_of_birth=dob, fbi_number=fbi)  # fmt: skip
    if kind == "parent_child":
        years = rng.randint(20, 35)
        older = age < 45 or age - years < 16  # a young person's parent, an older person's child
        years = years if older else min(years, int(age) - 16)
        gap = timedelta(days=int(years * 365.25) + rng.randint(-120, 120))
        dob = p.date_of_birth - gap if older else p.date_of_birth + gap
        return replace(p, key=key, date_of_birth=dob, fbi_number=fbi)
    if kind == "same_name_other_dob":
        dob = _dob(rng)
        while dob == p.date_of_birth:
            dob = _dob(rng)
        return replace(p, key=key, middle_name=_middle(rng, p.group, p.sex, p.first_name), date_of_birth=dob,
                       fbi_number=fbi)  # fmt: skip
    # same_name_dob_other_fbi
    return replace(p, key=key, middle_name=_middle(rng, p.group, p.sex, p.first_name), fbi_number=fbi)


def hard_world(size: int, seed: int) -> HardWorld:
    """The registry of ``size`` people (near-miss pairs among them) and the near-miss relatives outside it."""
    rng = random.Random(f"hard-registry-{seed}")
    registry: list[HardPerson] = []
    outside: list[HardPerson] = []

    def key(n: int) -> str:
        return f"HR{seed}-{n:07d}"

    def fbi(n: int, always: bool = False) -> str:
        return scrambled("HB", n) if always or rng.random() < REGISTRY_FBI_SHARE else ""

    while len(registry) < size:
        n = len(registry)
        p = _person(rng, key(n), fbi(n))
        if rng.random() >= NEAR_MISS_SHARE:
            registry.append(p)
            continue
        kind = NEAR_MISS_KINDS[bisect(_KIND_CUM, rng.random() * _KIND_CUM[-1])][0]
        p = replace(p, fbi_number=p.fbi_number or scrambled("HB", n))
        if rng.random() < RELATIVE_IN_REGISTRY and n + 1 < size:
            rel = _relative(rng, p, kind, key(n + 1), scrambled("HB", n + 1))
            registry.append(replace(p, relation=kind, relative=rel.key))
            registry.append(replace(rel, relation=kind, relative=p.key))
        else:
            rel = _relative(rng, p, kind, "", scrambled("HX", len(outside)))
            registry.append(replace(p, relation=kind))
            outside.append(replace(rel, relation=kind, relative=p.key))
    return HardWorld(seed, registry, outside)


def write_registry_csv(world: HardWorld, path: Path) -> None:
    """The registry in the canonical columns of ``holdtrack import registry``."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(REGISTRY_COLUMNS)
        for i, p in enumerate(world.registry):
            w.writerow([p.key, p.first_name, p.middle_name, p.last_name, p.second_last_name,
                        p.date_of_birth.isoformat(), p.sex, p.birth_country, p.fbi_number,
                        f"{700_000_000 + i:09d}"])  # fmt: skip


# ---------------------------------------------------------------------------------------------- corruption


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).replace("Đ", "D")


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s))
    return s[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + s[i + 1 :]


def _month_off(d: date, rng: random.Random) -> date:
    month = d.month + (rng.choice((-1, 1)) if 1 < d.month < 12 else (1 if d.month == 1 else -1))
    # the same day, or the last day of a shorter month (31 March → 28/29 February)
    for day in range(d.day, min(d.day, 28) - 1, -1):
        try:
            return d.replace(month=month, day=day)
        except ValueError:
            continue
    return d.replace(month=month, day=28)


def _digit_off(d: date, rng: random.Random) -> date | None:
    """One digit of YYYYMMDD changed (year's last two, month, day), still a valid past date."""
    text = d.strftime("%Y%m%d")
    for _ in range(30):
        i = rng.choice((2, 3, 4, 5, 6, 7))
        new = text[:i] + rng.choice([c for c in "0123456789" if c != text[i]]) + text[i + 1 :]
        try:
            out = date(int(new[:4]), int(new[4:6]), int(new[6:]))
        except ValueError:
            continue
        if out < REF_DATE:
            return out
    return None


def _name_families(rng: random.Random, p: HardPerson, fields: dict[str, Any], kinds: list[str]) -> None:
    first, middle, last, second = p.first_name, p.middle_name, p.last_name, p.second_last_name

    def draw(kind: str, applies: bool) -> bool:
        if applies and rng.random() < NAME_RATES[kind]:
            kinds.append(kind)
            return True
        return False

    if draw("middle_as_first", bool(middle)):
        first, middle = middle, ("" if rng.random() < 0.7 else first)
    elif draw("nickname", first in HARD_NICKNAMES):
        first = rng.choice(HARD_NICKNAMES[first])
    elif draw("transliterated_given", first in TRANSLITERATIONS):
        first = rng.choice(TRANSLITERATIONS[first])
    if draw("transliterated_surname", last in TRANSLITERATIONS):
        last = rng.choice(TRANSLITERATIONS[last])
    if draw("second_surname_to_middle", bool(second)):
        middle, second = (f"{middle} {second}" if middle else second), ""
    elif draw("second_surname_dropped", bool(second)):
        second = ""
    if draw("typo", True):
        if rng.random() < 0.5:
            first = _typo(rng, first)
        else:
            last = _typo(rng, last)
    surnames = f"{last} {second}" if second else last
    if draw("swapped_names", True):
        first, surnames = surnames, first
    fields.update(first_name=first, middle_name=middle, last_name=surnames)


def _dob_family(rng: random.Random, d: date, kinds: list[str]) -> date | None:
    x = rng.random()
    for kind, rate in DOB_RATES.items():
        if x >= rate:
            x -= rate
            continue
        new: date | None = d
        if kind == "missing_dob":
            new = None
        elif kind == "dob_jan1" and (d.month, d.day) != (1, 1):
            new = d.replace(month=1, day=1)
        elif kind == "dob_month_off":
            new = _month_off(d, rng)
        elif kind == "dob_digit":
            new = _digit_off(d, rng) or d
        elif kind == "dob_day_month_swap" and d.day <= 12 and d.day != d.month:
            new = date(d.year, d.day, d.month)
        if new != d:
            kinds.append(kind)
        return new
    return d


def _habits(rng: random.Random, fields: dict[str, Any], kinds: list[str], protect_middle: bool) -> None:
    names = ("first_name", "middle_name", "last_name")
    if rng.random() < HABIT_RATES["upper_case"]:
        kinds.append("upper_case")
        for n in names:
            fields[n] = fields[n].upper()
    if rng.random() < HABIT_RATES["stripped_accents"] and any(strip_accents(fields[n]) != fields[n] for n in names):
        kinds.append("stripped_accents")
        for n in names:
            fields[n] = strip_accents(fields[n])
    if rng.random() < HABIT_RATES["dropped_middle"] and fields["middle_name"] and not protect_middle:
        kinds.append("dropped_middle")
        fields["middle_name"] = ""
    if rng.random() < HABIT_RATES["missing_sex"]:
        kinds.append("missing_sex")
        fields["sex"] = ""
    if rng.random() < HABIT_RATES["missing_country"]:
        kinds.append("missing_country")
        fields["birth_country"] = ""


def hard_corrupt(rng: random.Random, p: HardPerson, full: bool) -> tuple[dict[str, Any], list[str]]:
    """The person as a jail feed records them, and the families applied. ``full``: name and DOB families too
    (a registry person's booking); otherwise the agency habits only."""
    kinds: list[str] = []
    fields: dict[str, Any] = {
        "first_name": p.first_name, "middle_name": p.middle_name, "last_name": p.surnames,
        "date_of_birth": p.date_of_birth, "sex": p.sex, "birth_country": p.birth_country,
    }  # fmt: skip
    if full:
        _name_families(rng, p, fields, kinds)
        fields["date_of_birth"] = _dob_family(rng, p.date_of_birth, kinds)
    protect = "second_surname_to_middle" in kinds or "middle_as_first" in kinds
    _habits(rng, fields, kinds, protect)
    return fields, kinds


# ------------------------------------------------------------------------------------------------ bookings


@dataclass
class HardBookings:
    rows: list[dict[str, Any]]
    truth: dict[str, str | None]  # booking number → registry key (the file's subject_id), None: nobody
    families: dict[str, list[str]]  # booking number → the booking kind tag and the families applied


def hard_bookings(
    world: HardWorld,
    *,
    count: int,
    seed: int,
    agency_ori: str = "XX0000000",
    facility_code: str = "FAC-1",
    start: datetime | None = None,
    prefix: str = "HARD",
) -> HardBookings:
    """Booking-feed rows (the canonical columns plus ``fbi_number``) with truth and families (module docstring)."""
    rng = random.Random(f"hard-bookings-{seed}")
    outsider_rng = random.Random(f"hard-outsiders-{seed}")
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    related = [p for p in world.registry if p.relative]
    out = HardBookings([], {}, {})
    for i in range(count):
        number = f"{prefix}{seed}-{i:07d}"
        mix = BOOKING_MIX[bisect(_MIX_CUM, rng.random() * _MIX_CUM[-1])][0]
        if mix == "near_miss_in_registry" and not related:
            mix = "registry"
        if mix == "near_miss_outside" and not world.outside_relatives:
            mix = "outsider"
        fbi = ""
        if mix in ("registry", "near_miss_in_registry"):
            person = rng.choice(related) if mix == "near_miss_in_registry" else rng.choice(world.registry)
            fields, kinds = hard_corrupt(rng, person, full=True)
            tag = f"near_miss_in_registry:{person.relation}" if mix == "near_miss_in_registry" else "registry"
            if person.fbi_number and rng.random() < FBI_SHARE:
                fbi = person.fbi_number
                if rng.random() < FBI_TYPO:
                    j = rng.randrange(2, len(fbi))
                    fbi = fbi[:j] + rng.choice([c for c in _B36 if c != fbi[j]]) + fbi[j + 1 :]
                    kinds.append("fbi_typo")
            out.truth[number] = person.key
        elif mix == "near_miss_outside":
            person = rng.choice(world.outside_relatives)
            fields, kinds = hard_corrupt(rng, person, full=False)
            tag = f"near_miss_outside:{person.relation}"
            share = 1.0 if person.relation == "same_name_dob_other_fbi" else RELATIVE_FBI_SHARE
            fbi = person.fbi_number if rng.random() < share else ""
            out.truth[number] = None
        else:
            person = _person(outsider_rng, "", scrambled("HO", i))
            fields, kinds = hard_corrupt(rng, person, full=False)
            tag = "outsider"
            fbi = person.fbi_number if rng.random() < OUTSIDER_FBI_SHARE else ""
            out.truth[number] = None
        out.families[number] = [tag, *kinds]
        dob = fields["date_of_birth"]
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            agency_ori=agency_ori,
            booking_number=number,
            booked_at=(start + timedelta(seconds=int(rng.random() * 86_400 * 30))).isoformat().replace("+00:00", "Z"),
            first_name=fields["first_name"],
            middle_name=fields["middle_name"],
            last_name=fields["last_name"],
            date_of_birth=dob.isoformat() if dob else "",
            sex=fields["sex"],
            birth_country=fields["birth_country"],
            facility_code=facility_code,
            charge_level=rng.choice(("MISDEMEANOR", "FELONY")),
            fbi_number=fbi,
        )
        out.rows.append(row)
    return out


def family_counts(gen: HardBookings) -> dict[str, int]:
    """Bookings per family and per booking-kind tag."""
    counts: dict[str, int] = {}
    for kinds in gen.families.values():
        for k in kinds:
            counts[k] = counts.get(k, 0) + 1
    return counts
