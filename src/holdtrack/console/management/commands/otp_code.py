"""``holdtrack otp_code USERNAME``: the current sign-in code of a demo user's demo authenticator.

Embedded demo only: refuses in production and for any device that ``holdtrack demo`` did not create."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from holdtrack.accounts.otp import DEMO_DEVICE_NAME, current_code


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo user (embedded demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:

        if settings.HOLDTRACK_PRODUCTION:
            raise CommandError("Demo sign-in codes are never available in production.")
        device = TOTPDevice.objects.filter(
            user__username=opts["username"], name=DEMO_DEVICE_NAME, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{opts['username']}: no demo authenticator (only users made by `holdtrack demo`).")
        self.stdout.write(current_code(device))
