"""``holdtrack api-client create --org ORG --name NAME --scopes a,b`` (the token is printed once),
``holdtrack api-client list``, ``holdtrack api-client deactivate ID``.

``--org`` takes an organization id, an LEA's ORI or an organization's exact name.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.accounts.models import Organization
from holdtrack.api.models import ApiClient
from holdtrack.api.services import SCOPES, SCOPES_BY_KIND, api_client_create, api_client_deactivate
from holdtrack.core.errors import DomainError


def _organization(value: str) -> Organization:
    qs = Organization.objects.all()
    org = (
        (qs.filter(pk=int(value)).first() if value.isdigit() else None)
        or qs.filter(lea__ori=value.upper()).first()
        or qs.filter(name=value).first()
    )
    if org is None:
        raise CommandError(f"no organization with id, ORI or name {value!r}")
    return org


class Command(BaseCommand):
    help = "Manage API clients (system tokens with scopes)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{create,list,deactivate,scopes}")
        create = sub.add_parser("create", help="Create a client and print its token once.")
        create.add_argument("--org", required=True, help="Organization id, LEA ORI or exact name")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", default="", help="Comma-separated; default: every scope the org may hold")
        create.add_argument("--role", default=None, help="Service user's role (default fits the organization)")
        sub.add_parser("list", help="List clients (never tokens).")
        deactivate = sub.add_parser("deactivate", help="Revoke a client's token.")
        deactivate.add_argument("id", type=int)
        sub.add_parser("scopes", help="List the known scopes.")

    def handle(self, *args: Any, **options: Any) -> None:
        what = options["what"]
        if what == "scopes":
            for name, text in SCOPES.items():
                self.stdout.write(f"{name:18} {text}")
        elif what == "list":
            for c in ApiClient.objects.select_related("organization").order_by("pk"):
                state = "active" if c.active else "revoked"
                self.stdout.write(
                    f"{c.pk:5} {c.token_prefix}… {state:8} {c.organization} / {c.name}: {','.join(c.scopes)}"
                )
        elif what == "deactivate":
            client = ApiClient.objects.filter(pk=options["id"]).first()
            if client is None:
                raise CommandError(f"no API client {options['id']}")
            api_client_deactivate(actor=None, client=client)
            self.stdout.write(f"client {client.pk} revoked")
        else:
            org = _organization(options["org"])
            scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
            if not scopes:
                scopes = sorted(SCOPES_BY_KIND.get(org.kind, frozenset()))
            try:
                created = api_client_create(
                    actor=None, organization=org, name=options["name"], scopes=scopes, role=options["role"]
                )
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            c = created.client
            self.stderr.write(f"client {c.pk} for {org} (acts as {c.user.username}, role {c.user.role})")
            self.stderr.write(f"scopes: {', '.join(c.scopes)}")
            self.stderr.write("token (shown once; store it now):")
            self.stdout.write(created.token)
