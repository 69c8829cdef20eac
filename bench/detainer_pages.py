"""Benchmark: an office's and an LEA's newest detainers, the keys of the first page of the API list, when an office
has issued thousands of detainers (issue 12, ADR 0049).

Copies a database with detainers (``--template``, e.g. the demo's) into a throwaway one (its name must contain
"scale": the bench DROPs and re-creates it), inserts every detainer ``--copies`` more times, ANALYZEs, and
EXPLAIN ANALYZEs the keys query of a page of 50 (51 keys, newest first):

- for every field office, through its area (``cases.access.detainers_in("agency", …)``, the rule before) and by
  the rule the list walks now (``detainer_keys_scope``: the office itself where its area has one office);
- for the LEA with most detainers, with the index ``detainer_lea_newest`` and without it (dropped inside a
  transaction that is rolled back).

Nothing is asserted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_scale .venv/bin/python bench/detainer_pages.py \\
        --template ht_bench --copies 60
"""

from __future__ import annotations

import argparse
import os
import sys

import psycopg

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--template", default="ht_bench", help="the database copied (it must have detainers)")
parser.add_argument("--copies", type=int, default=60, help="how many more times each detainer is inserted")
args = parser.parse_args()

url = os.environ.get("DATABASE_URL", "")
name = url.rsplit("/", 1)[-1]
if "scale" not in name:
    sys.exit('DATABASE_URL must name a throwaway database whose name contains "scale": it is dropped and re-created')
with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{args.template}"')

from area_pages import PAGE, execution_ms  # noqa: E402  (sets Django up on DATABASE_URL)
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from holdtrack.accounts.models import Organization, OrgKind, Role, User  # noqa: E402
from holdtrack.cases.access import detainer_keys_scope, detainers_in  # noqa: E402
from holdtrack.cases.models import Detainer  # noqa: E402

ORDER = ("-prepared_at", "pk")


def multiply(copies: int) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases_detainer' "
            "AND column_name <> 'id' ORDER BY ordinal_position"
        )
        columns = [row[0] for row in cur.fetchall()]
        quoted = ", ".join(f'"{c}"' for c in columns)
        chosen = ", ".join("NULL" if c == "supersedes_id" else f'd."{c}"' for c in columns)  # supersedes is unique
        cur.execute(
            f"INSERT INTO cases_detainer ({quoted}) "  # noqa: S608 - column names from the catalogue
            f"SELECT {chosen} FROM (SELECT * FROM cases_detainer) d, generate_series(1, %s)",
            [copies],
        )
        cur.execute("ANALYZE cases_detainer")


def keys(branch: str, scope_id: int) -> float:
    return execution_ms(detainers_in(branch, scope_id).order_by(*ORDER).values("pk")[:PAGE])


def main() -> None:
    multiply(args.copies)
    print(
        f"database {name} (from {args.template}, each detainer {args.copies + 1} times): "
        f"{Detainer.objects.count():,} detainers\n"
    )
    print("| field office | detainers in the area | rule now | through the area, ms | by the rule now, ms |")
    print("|---|---:|---|---:|---:|")
    for office in Organization.objects.filter(kind=OrgKind.AGENCY_OFFICE, aor__isnull=False).order_by("name"):
        officer = User(username="bench", role=Role.AGENCY_OFFICER, organization=office, is_active=True)
        rule, scope_id = detainer_keys_scope(officer)
        count = detainers_in("agency", office.aor_id).count()
        if count:
            print(
                f"| {office.name} | {count:,} | {rule} | {keys('agency', office.aor_id):.3f} | "
                f"{keys(rule, scope_id):.3f} |",
                flush=True,
            )
    busiest = Detainer.objects.values("addressed_lea_id").annotate(n=Count("pk")).order_by("-n")[0]
    lea, n = busiest["addressed_lea_id"], busiest["n"]
    with_index = keys("lea", lea)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DROP INDEX detainer_lea_newest")
        without = keys("lea", lea)
        transaction.set_rollback(True)
    print(
        f"\nthe LEA with most detainers ({n:,}): keys {with_index:.3f} ms with detainer_lea_newest, "
        f"{without:.3f} ms without it"
    )


if __name__ == "__main__":
    main()
