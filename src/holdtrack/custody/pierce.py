"""The Pierce County (WA) jail feed: UWCHR's de-identified bookings with ICE-hold flags
(``../shared/data/pierce-county-bookings/bookings.csv.gz``, GPL v2+, see its README).

One row per booking. It becomes a booking of the Pierce County sheriff (ORI ``WA0530000``, jail ``WA053CJ``,
both synthetic, from ``holdtrack load_reference``) and its release:

- the data is de-identified, so each booking gets its own synthetic subject named ``Pierce`` + the first
  characters of the hashed booking id; no date of birth. Sex and country of birth are kept (a U.S. birth
  country opens a citizenship claim through the normal booking safeguard);
- times are local wall times (to the minute) in America/Los_Angeles and are stored as instants;
- the booking number is the first 32 characters of UWCHR's 40-character hash (the full hash is in the
  provenance row's ``data``);
- the charge is the most serious one: ``charges`` holds its type and seriousness (0 other … 6 class A felony);
  seriousness 4–6 is a felony, 2–3 a misdemeanor, 0–1 an infraction (type ``other``: civil holds, community
  custody …);
- the release disposition maps to a release type (``Immigration`` → custody transferred to the federal
  agency; other agencies' pick-ups are ``OTHER`` because the feed does not name the receiving agency); the
  disposition text is kept on the provenance row;
- release eligibility is not recorded: the feed has no reason for it.

**Immigration holds.** A hold in this feed is the jail's record that ICE lodged a detainer. The detainer
services only represent holds the federal agency issues with an I-200/I-205 under the policy guards
(Washington's Keep Washington Working Act now forbids them), so the feed cannot create a ``Detainer``
faithfully. The hold flag and the outcome derived from the dispositions are stored on the booking's
``BookingImportRow`` instead: ``TRANSFERRED_TO_ICE`` (released to immigration), ``DETAINER_CANCELLED``
(``Cancel Detainer``), ``RELEASED_OTHER`` (any other release).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from holdtrack.custody.ingest.canonical import text
from holdtrack.custody.ingest.layout import Transform, shipped
from holdtrack.custody.ingest.layout_convert import layout_mapping
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord, Problems
from holdtrack.custody.models import ChargeLevel

ORI = "WA0530000"
FACILITY_CODE = "WA053CJ"
# What the file is a sample of (its README): reports over its bookings say so (reports.hold_impact).
SAMPLE_NOTE = (
    "Not the whole jail population: the Pierce County file (UWCHR) holds every booking with an immigration hold "
    "and every booking whose most serious charge is of type 'other', but only a size-biased part of the other "
    "no-hold bookings (bookings with many charge records are over-represented). Figures over no-hold bookings, "
    "and the comparison with them, do not describe the jail's whole population."
)


def hold_outcome(row: Mapping[str, Any]) -> str:
    disposition = text(row.get("release_disposition")).lower()
    if disposition == "immigration":
        return "TRANSFERRED_TO_ICE"
    if disposition == "cancel detainer":
        return "DETAINER_CANCELLED"
    if text(row.get("release_to_imm")) == "1":
        return "TRANSFERRED_TO_ICE"
    if text(row.get("cancel_detainer")) == "1":
        return "DETAINER_CANCELLED"
    return "RELEASED_OTHER"


def _apply(row: Mapping[str, Any], fields: dict[str, Any], problems: Problems) -> None:
    """The rules of this feed a layout cannot declare (module docstring)."""
    booking_id = text(row.get("booking_id")).lower()
    if len(booking_id) < 16:
        problems.append(("booking_id", f"not a booking hash: {booking_id!r}"))
    # De-identified: a synthetic subject per booking, named after its hash; the number is the hash's start.
    fields.update(booking_number=booking_id[:32], first_name="Pierce", last_name=booking_id[:12])
    raw_seriousness = text(row.get("max_seriousness"))
    seriousness = int(raw_seriousness) if raw_seriousness.isdigit() else -1
    if not 0 <= seriousness <= 6:
        problems.append(("max_seriousness", f"not 0..6: {raw_seriousness!r}"))
    fields["charge_level"] = (
        ChargeLevel.FELONY
        if seriousness >= 4
        else ChargeLevel.MISDEMEANOR
        if seriousness >= 2
        else ChargeLevel.INFRACTION
    )
    # One row per booking: its charges are aggregated to the most serious one.
    fields["charges"] = [{"type": fields["charge_type"], "seriousness": seriousness, "most_serious": True}]
    fields["birth_country"] = fields["birth_country"].title()
    fields["hold_outcome"] = hold_outcome(row) if fields["immigration_hold"] else ""
    fields["source_disposition"] = text(row.get("release_disposition"))[:80]


TRANSFORM = Transform(
    name="pierce",
    doc="Pierce County (UWCHR): synthetic names from the booking hash, seriousness → charge level, hold outcome",
    provides=frozenset({"first_name", "last_name", "charge_level", "hold_outcome", "source_disposition"}),
    apply=_apply,
)


@cache
def mapping() -> FeedMapping:
    return layout_mapping(shipped("pierce"))


def convert(row: Mapping[str, Any], row_number: int) -> tuple[FeedRecord | None, Problems]:
    """One row of the feed through the shipped ``pierce`` layout."""
    return mapping().convert(row, row_number)
