"""``holdtrack demo``: one command from nothing to a running system on the embedded database.

Migrates, loads reference data, simulates the last 120 days (deterministic seed), creates one demo user per
role and prints their logins, then serves at http://127.0.0.1:8000 with the task worker in-process.
Re-running it changes nothing that exists: every step is idempotent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

DEMO_PASSWORD = "holdtrack-demo-2026"  # noqa: S105 - printed on purpose; embedded demo only
DEMO_SEED = 2026


class Command(BaseCommand):
    help = "Build the embedded demo (reference data, 120 simulated days, one user per role) and serve it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--scale", type=float, default=0.05, help="1 = national volume (~700 detainers/day)")
        parser.add_argument("--no-serve", action="store_true", help="build the data and print logins, then exit")
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.HOLDTRACK_PRODUCTION:
            raise CommandError("The demo (known passwords, simulated history) is never built in production.")
        self.stdout.write("1/6 Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("2/6 Loading reference data …")
        call_command("load_reference")
        self.stdout.write(f"3/6 Simulating the last {opts['days']} days (seed {DEMO_SEED}, scale {opts['scale']}) …")
        call_command("simulate", days=opts["days"], seed=DEMO_SEED, scale=opts["scale"])
        self.stdout.write("4/6 Running the sweep …")
        call_command("sweep")
        self.stdout.write("5/6 Reports: aggregates and a public statistics release …")
        call_command("report", "refresh")
        publish_demo_release(opts["days"])
        self.stdout.write("6/6 Demo users")
        print_logins(create_demo_users())
        if not opts["no_serve"]:
            call_command("serve", bind=opts["bind"])


def publish_demo_release(days: int) -> None:
    """Publish the complete months of the simulated window once; a re-run finds the release and skips."""
    from datetime import timedelta

    from django.utils import timezone

    from holdtrack.reports.models import PublicSnapshot
    from holdtrack.reports.public import publish

    today = timezone.now().date()
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    first = (today - timedelta(days=days)).replace(day=1)
    if first > last or PublicSnapshot.objects.filter(period_start=first, period_end=last).exists():
        return
    publish(f"{first:%Y-%m}..{last:%Y-%m}", note="Demo release built from the simulated history.")


def create_demo_users() -> list[tuple[str, str, str, str]]:
    from holdtrack.accounts.models import Organization, OrgKind, Role
    from holdtrack.accounts.otp import demo_totp_device_ensure, totp_secret_base32
    from holdtrack.accounts.services import organization_doj, system_user, user_ensure
    from holdtrack.cases.models import Detainer, EnforcementReferral

    actor = system_user()
    # Put the demo users where the simulated history is, so every desk has work in it.
    busiest_office = Detainer.objects.values("issuing_office").annotate(n=Count("id")).order_by("-n").first()
    busiest_lea = Detainer.objects.values("addressed_lea").annotate(n=Count("id")).order_by("-n").first()
    office = (
        Organization.objects.get(pk=busiest_office["issuing_office"])
        if busiest_office
        else Organization.objects.filter(kind=OrgKind.AGENCY_OFFICE).order_by("name").first()
    )
    lea_org = None
    if busiest_lea:
        from holdtrack.accounts.services import organization_for_lea
        from holdtrack.jurisdictions.models import LawEnforcementAgency

        lea_org = organization_for_lea(LawEnforcementAgency.objects.get(pk=busiest_lea["addressed_lea"]))
    referral = EnforcementReferral.objects.order_by("id").first()
    doj = referral.doj_office if referral else organization_doj("District of Colorado")
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
        rows.append((username, role.label, org.name if org else "—", key))
    return rows


def print_logins(rows: list[tuple[str, str, str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for col in ("username", "role", "organization", "authenticator key (TOTP)"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print(
        "Second step of sign-in: add the key to an authenticator app, or print the current code with "
        "`holdtrack otp_code USERNAME`."
    )
