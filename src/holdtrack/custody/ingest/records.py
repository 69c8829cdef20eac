"""What a feed row becomes once a mapping has read it: one booking and its release events, ready for the
custody services. Mappings (the canonical layout, Pierce County …) produce ``FeedRecord`` values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from holdtrack.custody.ingest.layout import Layout


@dataclass
class FeedRecord:
    row_number: int
    agency_ori: str
    booking_number: str
    booked_at: datetime
    facility_code: str
    first_name: str
    last_name: str
    middle_name: str = ""
    second_last_name: str = ""
    date_of_birth: date | None = None
    sex: str = "U"
    birth_country: str = ""
    charge_level: str = "MISDEMEANOR"
    charges: list[dict[str, Any]] = field(default_factory=list)
    release_eligible_at: datetime | None = None
    release_eligibility_reason: str = ""
    released_at: datetime | None = None
    release_type: str = ""
    immigration_hold: bool | None = None
    hold_outcome: str = ""
    charge_type: str = ""
    source_disposition: str = ""
    fbi_number: str = ""
    a_number: str = ""  # 9 digits (core.text.a_number)
    us_passport_on_file: bool = False
    citizenship_asserted: bool = False
    data: dict[str, Any] = field(default_factory=dict)


# A field problem: (field, message). A mapping returns the record or the problems of its row.
Problems = list[tuple[str, str]]
Converter = Callable[[Mapping[str, Any], int], tuple[FeedRecord | None, Problems]]
# A row's agency ORI, facility code and booking number, read even when its other fields are bad.
Identity = Callable[[Mapping[str, Any]], tuple[str, str, str]]


@dataclass(frozen=True)
class FeedMapping:
    """A feed layout: its documented columns, the ones a row cannot do without, and the converter."""

    name: str
    title: str
    columns: tuple[str, ...]
    required_columns: tuple[str, ...]
    convert: Converter
    # Columns that identify a person and are never stored (none in the canonical layout).
    withheld: tuple[str, ...] = ()
    # Documented columns a feed may leave out without it being reported as a missing column.
    optional_columns: tuple[str, ...] = ()
    # The value kind each column is documented to hold (``date``, ``datetime``, ``boolean``, ``number``);
    # a column whose values are mostly of another kind is reported as retyped.
    kinds: dict[str, str] = field(default_factory=dict)
    identity: Identity | None = None
    # The layout file the mapping was built from (every mapping is one since layouts became data).
    layout: Layout | None = None
