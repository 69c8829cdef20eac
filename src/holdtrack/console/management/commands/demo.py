"""``holdtrack demo``: one command from nothing to a running system on the embedded database.

Migrates, loads reference data, simulates the last 120 days (deterministic seed), brings a few cases to an open
step where the demo users sit (``simulation.staging``), creates one demo user per role and prints their
logins (also to ``var/demo-users.txt``), then serves at http://127.0.0.1:8000 with the task worker
in-process. Re-running it changes nothing that exists: every step is idempotent.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from rich.console import Console

from holdtrack.accounts.models import Organization, OrgKind, Role
from holdtrack.accounts.otp import demo_totp_device_ensure, totp_secret_base32
from holdtrack.accounts.services import organization_doj, organization_for_lea, system_user, user_ensure
from holdtrack.cases.models import Detainer
from holdtrack.console.terminal import phase_bar
from holdtrack.jurisdictions.models import LawEnforcementAgency
from holdtrack.reports import aggregates
from holdtrack.reports.models import PublicSnapshot
from holdtrack.reports.public import publish
from holdtrack.simulation.staging import demo_place, demo_work_stage

DEMO_PASSWORD = "holdtrack-demo-2026"  # noqa: S105 - printed on purpose; embedded demo only
DEMO_SEED = 2026
STEPS = 7


class Command(BaseCommand):
    help = (
        "Build the embedded demo (reference data, 120 simulated days, open work on every desk, one user per "
        "role) and serve it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--scale", type=float, default=0.05, help="1 = national volume (~700 detainers/day)")
        parser.add_argument("--no-serve", action="store_true", help="build the data and print logins, then exit")
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.HOLDTRACK_PRODUCTION:
            raise CommandError("The demo (known passwords, simulated history) is never built in production.")

        self.stdout.ending = ""
        console = Console(file=cast(IO[str], self.stdout), highlight=False, soft_wrap=True)
        say = console.print
        say(f"1/{STEPS} Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        say(f"2/{STEPS} Loading reference data …")
        call_command("load_reference", stdout=self.stdout)
        say(f"3/{STEPS} Simulating the last {opts['days']} days (seed {DEMO_SEED}, scale {opts['scale']}) …")
        call_command("simulate", days=opts["days"], seed=DEMO_SEED, scale=opts["scale"], stdout=self.stdout)
        say(f"4/{STEPS} Open work on the demo desks …")
        place = demo_place()
        if place is not None:
            with phase_bar(console, "cases staged") as progress:
                steps = demo_work_stage(place, progress=progress)
            say(
                f"  {place.lea_org.name}, {place.office.name}, {place.doj.name}: "
                + (f"{steps} steps through the services." if steps else "already staged; nothing added.")
            )
        say(f"5/{STEPS} Running the sweep …")
        call_command("sweep", stdout=self.stdout)
        say(f"6/{STEPS} Reports: aggregates and a public statistics release …")
        with phase_bar(console, "report cases") as progress:
            aggregates.refresh(progress=progress)
        publish_demo_release(opts["days"])
        with connection.cursor() as cur:
            # The history went in by the thousand: without fresh statistics the planner guessed 3 rows where an
            # area held 57 jurisdictions, and the first desk pages were planned for the wrong sizes. On PostgreSQL
            # each simulated step left its old row versions behind (9,000 dead beside 1,400 detainers), which every
            # index scan of the desk queues walked until autovacuum came by — where it runs at all.
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block  # VACUUM: no transaction
            cur.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        say(f"7/{STEPS} Demo users")
        rows = create_demo_users()
        path = write_logins(rows)
        self.stdout.write(logins_text(rows) + "\n")
        say(f"The same table is in {path}.")
        if not opts["no_serve"]:
            call_command("serve", bind=opts["bind"])


def publish_demo_release(days: int) -> None:
    """Publish the complete months of the simulated window once; a re-run finds the release and skips."""

    today = timezone.now().date()
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    first = (today - timedelta(days=days)).replace(day=1)
    if first > last or PublicSnapshot.objects.filter(period_start=first, period_end=last).exists():
        return
    publish(f"{first:%Y-%m}..{last:%Y-%m}", note="Demo release built from the simulated history.")


def create_demo_users() -> list[tuple[str, str, str, str]]:
    actor = system_user()
    # Put the demo users where the whole chain happens (simulation.staging), so every desk has work in it.
    place = demo_place()
    office: Organization | None
    lea_org: Organization | None
    if place is not None:
        office, lea_org, doj = place.office, place.lea_org, place.doj
    else:  # no receiving LEA can honor a hold: the busiest office and LEA of the history
        busiest_office = Detainer.objects.values("issuing_office").annotate(n=Count("id")).order_by("-n").first()
        busiest_lea = Detainer.objects.values("addressed_lea").annotate(n=Count("id")).order_by("-n").first()
        office = (
            Organization.objects.get(pk=busiest_office["issuing_office"])
            if busiest_office
            else Organization.objects.filter(kind=OrgKind.AGENCY_OFFICE).order_by("name").first()
        )
        lea_org = (
            organization_for_lea(LawEnforcementAgency.objects.get(pk=busiest_lea["addressed_lea"]))
            if busiest_lea
            else None
        )
        doj = organization_doj("District of Colorado")
    spec = [
        ("officer", Role.AGENCY_OFFICER, office, {}),
        (
            "supervisor",
            Role.AGENCY_SUPERVISOR,
            office,
            {"title": "Field Office Director", "subpoena_authority": "Field Office Director, 8 CFR 287.4(a)(1)"},
        ),
        ("agency-counsel", Role.AGENCY_COUNSEL, office, {}),
        ("doj-attorney", Role.DOJ_ATTORNEY, doj, {}),
        ("lea-booking", Role.LEA_BOOKING, lea_org, {}),
        ("lea-counsel", Role.LEA_COUNSEL, lea_org, {}),
        ("analyst", Role.ANALYST, None, {}),
        ("auditor", Role.AUDITOR, None, {}),
        ("admin", Role.ADMIN, None, {}),
    ]
    rows = []
    for username, role, org, extra in spec:
        user = user_ensure(
            actor=actor,
            username=username,
            role=role,
            organization=org,
            password=DEMO_PASSWORD,
            first_name="Demo",
            last_name=role.label,
            **extra,
        )
        # Staff sign in with a second factor: each demo user gets an authenticator key (docs/security.md).
        key = totp_secret_base32(demo_totp_device_ensure(user))
        org_name = user.organization.name if user.organization else "—"
        rows.append((username, role.label, org_name, key))
    return rows


HEADER = ("username", "role", "organization", "authenticator key (TOTP)")


def logins_text(rows: list[tuple[str, str, str, str]]) -> str:
    """The logins as plain aligned text: lines are never wrapped or cut, whatever the terminal's width, so each
    key can be copied whole (a terminal narrower than a line folds it visually, without changing it)."""
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join(
        [
            f"Demo logins (password for all: {DEMO_PASSWORD})",
            line(HEADER),
            line(tuple("-" * w for w in widths)),
            *(line(r) for r in rows),
            "Second step of sign-in: add the key to an authenticator app, or print the current code with "
            "`holdtrack otp_code USERNAME`.",
        ]
    )


def write_logins(rows: list[tuple[str, str, str, str]]) -> Path:
    path = Path(settings.VAR_DIR) / "demo-users.txt"
    path.write_text(logins_text(rows) + "\n", encoding="utf-8")
    return path
