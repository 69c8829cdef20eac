"""Input types of the API that no value can get past into a 500.

``AwareDatetime`` replaces pydantic's: an ISO 8601 string with a zone offset only (pydantic alone also takes
a number as Unix seconds, so ``?booked_before=0.5`` was a valid filter, which the schema does not allow), the
offset within ±15:59 (PostgreSQL refuses more), and the instant between 1900 and 2199 in UTC. The range keeps
year-edge values (0001-01-01T00:00+01:00 does not exist in UTC; 9999-12-31 plus a hold ceiling overflows)
away from every computation and query; no fact or deadline of this system lies outside it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic import AwareDatetime as _PydanticAwareDatetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=15, minutes=59)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_string(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("Expected an ISO 8601 date-time string with a zone offset")
    return value


def _in_range(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None or abs(offset) > MAX_OFFSET:
        raise ValueError("The zone offset must be between -15:59 and +15:59")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The date-time is out of range (1900-01-01 to 2199-12-31 UTC)") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("The date-time is out of range (1900-01-01 to 2199-12-31 UTC)")
    return value


AwareDatetime = Annotated[_PydanticAwareDatetime, BeforeValidator(_iso_string), AfterValidator(_in_range)]
