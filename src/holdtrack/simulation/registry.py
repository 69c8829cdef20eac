"""Synthetic subject registry and booking feed for identity screening (issue 3).

``registry_people(size, seed)`` draws the registry deterministically for a seed; ``registry_build`` stores it
fast (PostgreSQL COPY, SQLite bulk_create) with synthetic A-numbers and FBI UCNs and the screening keys;
``generate_bookings`` turns a sample of registry people into booking-feed rows with realistic corruption, plus
people who are not in the registry, and returns the ground truth. All people are synthetic.
"""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from holdtrack.core.bulk import write_rows
from holdtrack.custody.ingest.canonical import COLUMNS
from holdtrack.custody.models import IdentifierType, Subject, SubjectIdentifier
from holdtrack.screening.frequencies import name_frequencies_refresh
from holdtrack.screening.services import registry_keys_bulk
from holdtrack.simulation.names import NICKNAMES_OF, REG_FEMALE, REG_MALE, REG_SURNAMES
from holdtrack.simulation.people import COUNTRIES

Progress = Callable[[str, int, int | None], None]
REF_DATE = date(2026, 1, 1)  # fixed so a seed always yields the same dates of birth


def _zipf(names: Sequence[str], s: float = 0.9) -> tuple[Sequence[str], list[float]]:
    return names, list(accumulate(1.0 / (i + 1) ** s for i in range(len(names))))


_COUNTRY_CUM = list(accumulate(c[2] for c in COUNTRIES))
_SURN = {g: _zipf(v) for g, v in REG_SURNAMES.items()}
_MALE = {g: _zipf(v) for g, v in REG_MALE.items()}
_FEMALE = {g: _zipf(v) for g, v in REG_FEMALE.items()}


def _pick(rng: random.Random, table: tuple[Sequence[str], list[float]]) -> str:
    names, cum = table
    return names[bisect(cum, rng.random() * cum[-1])]


@dataclass(frozen=True, slots=True)
class RegistryPerson:
    index: int
    first_name: str
    middle_name: str
    last_name: str
    date_of_birth: date
    sex: str
    birth_country: str
    subject_id: int | None = None

    @property
    def a_number(self) -> str:
        return a_number_for(self.subject_id or 0)

    @property
    def fbi_ucn(self) -> str:
        return fbi_ucn_for(self.subject_id or 0)


def a_number_for(subject_id: int) -> str:
    """Synthetic 9-digit A-number derived from the internal id (unique, never the key)."""
    return f"{800_000_000 + subject_id:09d}"


def fbi_ucn_for(subject_id: int) -> str:
    """Synthetic FBI UCN: 'SY' + 7 base-36 characters of a scrambled id (unique per subject)."""
    n = (subject_id * 2_654_435_761) % (36**7)
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(7):
        n, r = divmod(n, 36)
        out.append(chars[r])
    return "SY" + "".join(out)


def make_registry_person(rng: random.Random, index: int) -> RegistryPerson:
    country, _lang, _w, group = COUNTRIES[bisect(_COUNTRY_CUM, rng.random() * _COUNTRY_CUM[-1])]
    sex = "M" if rng.random() < 0.85 else "F"
    given = _MALE[group] if sex == "M" else _FEMALE[group]
    first = _pick(rng, given)
    middle = ""
    if group in ("es", "pt", "tl", "en") and rng.random() < 0.45:
        middle = _pick(rng, given)
        if middle == first:
            middle = ""
    last = _pick(rng, _SURN[group])
    if group == "es" and rng.random() < 0.5:
        second = _pick(rng, _SURN[group])
        if second != last:
            last = f"{last} {second}"
    age_days = int(rng.triangular(18, 70, 30) * 365.25)
    return RegistryPerson(index, first, middle, last, REF_DATE - timedelta(days=age_days), sex, country)


def registry_people(size: int, seed: int) -> list[RegistryPerson]:
    rng = random.Random(f"registry-{seed}")
    return [make_registry_person(rng, i) for i in range(size)]


# ------------------------------------------------------------------------------------------ storage


def registry_build(
    *, size: int, seed: int, progress: Progress | None = None, chunk: int = 50_000
) -> list[RegistryPerson]:
    """Store ``size`` synthetic registry subjects with identifiers and screening keys. Returns them with ids."""

    people = registry_people(size, seed)
    pg = connection.vendor == "postgresql"
    stored: list[RegistryPerson] = []
    now = timezone.now()
    with transaction.atomic():
        if pg:
            with connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {Subject._meta.db_table} IN EXCLUSIVE MODE")
        base = (Subject.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        for start in range(0, size, chunk):
            part = people[start : start + chunk]
            batch = [
                RegistryPerson(
                    p.index,
                    p.first_name,
                    p.middle_name,
                    p.last_name,
                    p.date_of_birth,
                    p.sex,
                    p.birth_country,
                    base + p.index,
                )
                for p in part
            ]
            if pg:
                write_rows(
                    Subject,
                    [
                        "id",
                        "first_name",
                        "middle_name",
                        "last_name",
                        "second_last_name",
                        "date_of_birth",
                        "sex",
                        "birth_country",
                        "citizenship_country",
                        "preferred_language",
                        "synthetic",
                        "created_at",
                    ],
                    (
                        (
                            p.subject_id,
                            p.first_name,
                            p.middle_name,
                            p.last_name,
                            "",
                            p.date_of_birth,
                            p.sex,
                            p.birth_country,
                            p.birth_country,
                            "es",
                            True,
                            now,
                        )
                        for p in batch
                    ),
                )
                write_rows(
                    SubjectIdentifier,
                    ["subject_id", "type", "value", "source"],
                    (
                        row
                        for p in batch
                        for row in (
                            (p.subject_id, IdentifierType.A_NUMBER, p.a_number, "synthetic registry"),
                            (p.subject_id, IdentifierType.FBI_UCN, p.fbi_ucn, "synthetic registry"),
                        )
                    ),
                )
            else:
                Subject.objects.bulk_create(
                    [
                        Subject(
                            id=p.subject_id,
                            first_name=p.first_name,
                            middle_name=p.middle_name,
                            last_name=p.last_name,
                            date_of_birth=p.date_of_birth,
                            sex=p.sex,
                            birth_country=p.birth_country,
                            citizenship_country=p.birth_country,
                        )
                        for p in batch
                    ],
                    batch_size=2000,
                )
                SubjectIdentifier.objects.bulk_create(
                    [
                        SubjectIdentifier(
                            subject_id=int(p.subject_id or 0), type=t, value=v, source="synthetic registry"
                        )
                        for p in batch
                        for t, v in ((IdentifierType.A_NUMBER, p.a_number), (IdentifierType.FBI_UCN, p.fbi_ucn))
                    ],
                    batch_size=2000,
                )
            registry_keys_bulk(batch)
            stored.extend(batch)
            if progress:
                progress("registry subjects", len(stored), size)
        if pg:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM custody_subject))",
                    [Subject._meta.db_table],
                )
    name_frequencies_refresh()
    # Fresh statistics, or the planner would guess the registry is tiny and scan it.
    with connection.cursor() as cur:
        for table in ("custody_subject", "custody_subjectidentifier", "screening_registrykey"):
            cur.execute(f"ANALYZE {table}")
    return stored


# ---------------------------------------------------------------------------------------- corruption

_KEYBOARD = "abcdefghijklmnopqrstuvwxyz"


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s))  # first letters are usually right on a typed form
    op = rng.random()
    if op < 0.45:
        return s[:i] + rng.choice(_KEYBOARD) + s[i + 1 :]
    if op < 0.75:
        return s[:i] + s[i + 1 :]
    return s[:i] + rng.choice(_KEYBOARD) + s[i:]


def _transpose(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


CORRUPTIONS = (
    "typo",
    "transposition",
    "nickname",
    "compound_surname",
    "swapped_names",
    "dob_day_month_swap",
    "dob_digit",
    "missing_dob",
    "missing_sex",
    "missing_country",
    "missing_middle",
    "accents_and_case",
)


def corrupt(rng: random.Random, p: RegistryPerson, kinds: Sequence[str]) -> dict[str, Any]:
    """The person as a jail feed might record them, after the given corruptions."""
    first, middle, last = p.first_name, p.middle_name, p.last_name
    dob: date | None = p.date_of_birth
    sex, country = p.sex, p.birth_country
    for kind in kinds:
        if kind == "typo":
            if rng.random() < 0.5:
                first = _typo(rng, first)
            else:
                last = _typo(rng, last)
        elif kind == "transposition":
            if rng.random() < 0.5:
                first = _transpose(rng, first)
            else:
                last = _transpose(rng, last)
        elif kind == "nickname" and first in NICKNAMES_OF:
            first = rng.choice(NICKNAMES_OF[first])
        elif kind == "compound_surname":
            parts = last.split(" ")
            if len(parts) > 1:
                last = rng.choice((parts[0], "-".join(parts), parts[-1]))
            else:
                extra = _pick(rng, _SURN["es"])
                last = rng.choice((f"{last}-{extra}", f"{last} {extra}"))
        elif kind == "swapped_names":
            first, last = last, first
        elif kind == "dob_day_month_swap" and dob is not None and dob.day <= 12 and dob.day != dob.month:
            dob = date(dob.year, dob.day, dob.month)
        elif kind == "dob_digit" and dob is not None:
            dob = rng.choice((dob + timedelta(days=rng.choice((-1, 1))), _year_shift(dob, rng.choice((-1, 1)))))
        elif kind == "missing_dob":
            dob = None
        elif kind == "missing_sex":
            sex = ""
        elif kind == "missing_country":
            country = ""
        elif kind == "missing_middle":
            middle = ""
        elif kind == "accents_and_case":
            first, last = _strip_accents(first).upper(), _strip_accents(last).upper()
    return {
        "first_name": first,
        "middle_name": middle,
        "last_name": last,
        "date_of_birth": dob,
        "sex": sex,
        "birth_country": country,
    }


def _year_shift(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


# Corruption mix for a booking of a registry person: (kind, probability), drawn independently.
CORRUPTION_RATES: tuple[tuple[str, float], ...] = (
    ("typo", 0.15),
    ("transposition", 0.07),
    ("nickname", 0.10),
    ("compound_surname", 0.08),
    ("swapped_names", 0.04),
    ("dob_day_month_swap", 0.06),
    ("dob_digit", 0.03),
    ("missing_dob", 0.004),
    ("missing_sex", 0.03),
    ("missing_country", 0.12),
    ("missing_middle", 0.50),
    ("accents_and_case", 0.30),
)


@dataclass
class GeneratedBookings:
    rows: list[dict[str, Any]]
    truth: dict[str, int | None]  # booking_number → registry subject id (None: not in the registry)
    corruptions: dict[str, list[str]]


def generate_bookings(
    *,
    registry_sample: Sequence[RegistryPerson],
    count: int,
    seed: int,
    in_registry_share: float = 0.7,
    agency_ori: str = "XX0000000",
    facility_code: str = "FAC-1",
    fbi_share: float = 0.15,
    start: datetime | None = None,
    prefix: str = "SCR",
) -> GeneratedBookings:
    """Booking-feed rows (the canonical columns plus ``fbi_number``) with ground truth."""
    rng = random.Random(f"bookings-{seed}")
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    truth: dict[str, int | None] = {}
    corruptions: dict[str, list[str]] = {}
    outsider_rng = random.Random(f"outsiders-{seed}")
    for i in range(count):
        number = f"{prefix}{seed}-{i:07d}"
        kinds: list[str] = []
        fbi = ""
        if registry_sample and rng.random() < in_registry_share:
            person = registry_sample[rng.randrange(len(registry_sample))]
            kinds = [k for k, rate in CORRUPTION_RATES if rng.random() < rate]
            fields = corrupt(rng, person, kinds)
            truth[number] = person.subject_id
            if rng.random() < fbi_share:
                fbi = person.fbi_ucn
        else:
            outsider = make_registry_person(outsider_rng, -1)
            fields = corrupt(
                rng, outsider, [k for k, rate in CORRUPTION_RATES if k.startswith("missing") and rng.random() < rate]
            )
            truth[number] = None
            if rng.random() < fbi_share / 2:
                fbi = f"NR{rng.randrange(36**6):07d}"
        corruptions[number] = kinds
        booked_at = start + timedelta(seconds=int(rng.random() * 86_400 * 30))
        # No A-number column: this generator carries none, and its output stays as it was (tests/simulation).
        row = {c: "" for c in COLUMNS if c != "a_number"}
        dob = fields["date_of_birth"]
        row.update(
            agency_ori=agency_ori,
            booking_number=number,
            booked_at=booked_at.isoformat().replace("+00:00", "Z"),
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
        rows.append(row)
    return GeneratedBookings(rows, truth, corruptions)


def write_bookings(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """CSV (by extension .csv) or NDJSON (.ndjson / .jsonl), readable by ``holdtrack import bookings``."""
    columns = list(dict.fromkeys([*COLUMNS, "fbi_number"]))  # once, whether or not the layout names it
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({c: r.get(c, "") for c in columns}, ensure_ascii=False) + "\n")


def registry_sample_from_db(limit: int, seed: int) -> list[RegistryPerson]:
    """Registry people (with ids) read back from the screening index, for the booking generator."""

    ids = list(Subject.objects.filter(registry_key__isnull=False).order_by("id").values_list("id", flat=True))
    rng = random.Random(f"sample-{seed}")
    chosen = sorted(rng.sample(ids, min(limit, len(ids))))
    out = []
    for s in Subject.objects.filter(id__in=chosen).order_by("id").iterator(chunk_size=5000):
        assert s.date_of_birth is not None
        out.append(
            RegistryPerson(0, s.first_name, s.middle_name, s.last_name, s.date_of_birth, s.sex, s.birth_country, s.pk)
        )
    return out
