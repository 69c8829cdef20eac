"""Benchmark: an area's newest bookings, the first page of the API and desk lists, with and without the area
copied onto each booking (issue 12, ADR 0044).

For every field office of the database, the keys query of a page of 50 (51 keys, newest first) is EXPLAIN
ANALYZEd twice on PostgreSQL, as the keys were read before — through the access rule, the custodian's
jurisdiction — and as the lists read them now (``custody.access.booking_keys_for_user``: the booking's copy of the
area; the rows are then read through the rule). Prints each office's bookings and both execution times, the
slowest of each, and the ratio. Nothing is asserted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a database with bookings> .venv/bin/python bench/area_pages.py

The more bookings a database holds outside an office's area, the longer the first form walks to find the
office's newest 51; the second reads one index range.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402

from holdtrack.accounts.models import Organization, OrgKind, Role, User  # noqa: E402
from holdtrack.custody.access import booking_keys_for_user, bookings_for_user  # noqa: E402
from holdtrack.custody.models import Booking  # noqa: E402

PAGE = 51  # a page of 50 and the one more row that says whether there is a next page


def execution_ms(qs: QuerySet[Booking]) -> float:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        for _ in range(2):  # the second run reads warm pages
            cur.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql, params)
            lines = [row[0] for row in cur.fetchall()]
    return float(next(line for line in lines if line.startswith("Execution Time")).split()[2])


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("needs PostgreSQL")
    total = Booking.objects.count()
    print(f"database {connection.settings_dict['NAME']}, {total:,} bookings\n")
    print("| field office | bookings in the area | before: by the rule, ms | after: by the copy, ms |")
    print("|---|---:|---:|---:|")
    before_all, after_all = [], []
    for office in Organization.objects.filter(kind=OrgKind.AGENCY_OFFICE, aor__isnull=False).order_by("name"):
        officer = User(username="bench", role=Role.AGENCY_OFFICER, organization=office, is_active=True)
        old = bookings_for_user(officer)
        new = booking_keys_for_user(officer)
        assert old.count() == new.count(), f"{office.name}: the copy disagrees with the rule (run the sync)"
        keys = ("-booked_at", "pk")
        before = execution_ms(old.order_by(*keys).values("pk")[:PAGE])
        after = execution_ms(new.order_by(*keys).values("pk")[:PAGE])
        before_all.append(before)
        after_all.append(after)
        print(f"| {office.name} | {old.count():,} | {before:.3f} | {after:.3f} |", flush=True)
    print(
        f"\nslowest office: before {max(before_all):.3f} ms, after {max(after_all):.3f} ms "
        f"({max(before_all) / max(after_all):.0f}×); total over {len(before_all)} offices "
        f"{sum(before_all):.1f} → {sum(after_all):.1f} ms"
    )


if __name__ == "__main__":
    main()
