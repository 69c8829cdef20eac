"""Synthetic booking feeds in the canonical layout (for tests and ``bench/ingest.py``). Only invented people."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from holdtrack.custody.ingest.canonical import COLUMNS

FIRST = ("Ana", "Luis", "Maria", "Jose", "Wei", "Amina", "Omar", "Sofia", "Ivan", "Grace", "Kofi", "Lena")
LAST = ("Synthia", "Fakeley", "Madeup", "Placeholder", "Testov", "Sampleton", "Mockford", "Dummett")
COUNTRIES = ("Mexico", "Guatemala", "Honduras", "El Salvador", "India", "China", "Canada", "United States", "")
TYPES = ("violent", "property", "drug", "public_order", "sex", "other")


def write_canonical_feed(
    path: Path, *, rows: int, ori: str, facility_code: str, seed: int = 1, prefix: str = "S"
) -> Path:
    """A CSV of ``rows`` bookings (about two thirds released, with release eligibility first)."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for i in range(rows):
            booked = start + timedelta(minutes=rng.randrange(0, 525_600))
            released = rng.random() < 0.66
            eligible = booked + timedelta(hours=rng.randrange(1, 200)) if released else None
            out_at = eligible + timedelta(hours=rng.randrange(0, 48)) if eligible else None
            values = {
                "agency_ori": ori,
                "booking_number": f"{prefix}{seed}-{i:08d}",
                "booked_at": booked.isoformat(),
                "first_name": rng.choice(FIRST),
                "middle_name": "",
                "last_name": rng.choice(LAST),
                "date_of_birth": f"{rng.randrange(1950, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "sex": rng.choice("MFU"),
                "birth_country": rng.choice(COUNTRIES),
                "facility_code": facility_code,
                "charge_level": rng.choice(("FELONY", "MISDEMEANOR")),
                "charge_type": rng.choice(TYPES),
                "release_eligible_at": eligible.isoformat() if eligible else "",
                "release_eligibility_reason": "BOND_POSTED" if eligible else "",
                "released_at": out_at.isoformat() if out_at else "",
                "release_type": "BOND" if out_at else "",
                "immigration_hold": rng.choice(("0", "0", "0", "1")),
                "fbi_number": f"{rng.randrange(10**8):08d}FB" if rng.random() < 0.3 else "",
                "us_passport_on_file": "",
                "citizenship_asserted": "",
                "a_number": "",
            }
            out.writerow([values[c] for c in COLUMNS])
    return path
