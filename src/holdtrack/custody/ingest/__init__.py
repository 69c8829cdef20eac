"""Booking-feed ingestion (issue 3): ``holdtrack import bookings FILE [--format] [--mapping]``."""

from holdtrack.custody.ingest.bulk import bookings_import_batch
from holdtrack.custody.ingest.records import FeedMapping, FeedRecord
from holdtrack.custody.ingest.run import (
    BookingImportError,
    BookingImportResult,
    bookings_import,
    feed_user,
    mappings,
)

__all__ = [
    "BookingImportError",
    "BookingImportResult",
    "FeedMapping",
    "FeedRecord",
    "bookings_import",
    "bookings_import_batch",
    "feed_user",
    "mappings",
]
