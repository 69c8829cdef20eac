"""Second factor (TOTP with backup codes): who needs it, enrolment, verification.

Every human role needs a second factor: all of them reach case data, aggregates or the audit trail. Only the
system account (inactive, never signs in) is exempt. Views call these functions; they own the device rows and
write the audit events (``user.otp_*``).
"""

from __future__ import annotations

import base64
import io
from binascii import unhexlify
from typing import Any

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.scope import AnyUser
from holdtrack.audit.services import audit_record
from holdtrack.kernel.parties import authorize

SECOND_FACTOR_EXEMPT_ROLES = frozenset({Role.SYSTEM})
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def second_factor_required(user: AnyUser | None) -> bool:
    """True for a signed-in user whose role needs a verified second factor."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return str(getattr(user, "role", "")) not in SECOND_FACTOR_EXEMPT_ROLES


def is_enrolled(user: User) -> bool:
    """A confirmed authenticator app exists (backup codes alone do not count as enrolment)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return base64.b32encode(unhexlify(device.key)).decode("ascii").rstrip("=")


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI, rendered locally (no external service; CSP allows img-src data:)."""
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def totp_enrolment_device(user: User) -> TOTPDevice:
    """The pending (unconfirmed) device shown on the enrolment page; the same one until it is confirmed.

    Refuses once an authenticator is confirmed: adding a device must not be a way around the existing one."""
    if is_enrolled(user):
        raise PermissionError("A second factor is already set up for this account.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_confirm(*, request: HttpRequest, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Activate the pending device when the token fits; mark the session verified and issue backup codes.

    Returns the new backup codes (shown once), or ``None`` when the token is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not device.verify_token(_clean(token)):
            audit_record(actor=user, action="user.otp_enrol_failed", entity_type="user", entity_id=user.pk)
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _issue_backup_codes(user)
        audit_record(actor=user, action="user.otp_enrol", entity_type="user", entity_id=user.pk)
    _elevate(request, device)
    return codes


def _elevate(request: HttpRequest, device: Any) -> None:
    """Mark the session verified and give it a new key: a session id seen before the second factor (a fixed
    or sniffed cookie) must not become a fully signed-in one. Django's ``login`` does the same at the password."""
    django_otp.login(request, device)
    request.session.cycle_key()


def backup_codes_regenerate(*, actor: User) -> list[str]:
    """Replace every backup code of the user with a new set (the old ones stop working)."""
    authorize(actor, "backup_codes_regenerate")
    with transaction.atomic():
        codes = _issue_backup_codes(actor)
        audit_record(actor=actor, action="user.otp_backup_codes", entity_type="user", entity_id=actor.pk)
    return codes


def _issue_backup_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def second_factor_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a code from the authenticator app or a backup code (used up on success).

    Each device throttles its own failures (django-otp doubles the wait after each one)."""
    token = _clean(token)
    matched = None
    if token:
        with transaction.atomic():
            totp = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
            static = list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
            for device in [*totp, *static]:
                if device.verify_token(token):
                    matched = device
                    break
    if matched is None:
        audit_record(actor=user, action="user.otp_verify_failed", entity_type="user", entity_id=user.pk)
        return False
    _elevate(request, matched)
    audit_record(
        actor=user,
        action="user.otp_verify",
        entity_type="user",
        entity_id=user.pk,
        data={"method": "backup_code" if isinstance(matched, StaticDevice) else "totp"},
    )
    return True


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _clean(token: str) -> str:
    # Apps show "123 456"; people paste with spaces or dashes.
    return "".join(ch for ch in (token or "") if ch.isalnum()).lower()


# ---------------------------------------------------------------------------------------------- demo only

DEMO_DEVICE_NAME = "Demo authenticator"


def demo_totp_device_ensure(user: User) -> TOTPDevice:
    """The embedded demo's confirmed authenticator for a demo user (created once; re-runs keep the key).

    Its key is printed by ``holdtrack demo``; ``holdtrack otp_code USER`` prints the current code."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    return device


def current_code(device: TOTPDevice) -> str:
    from django_otp.oath import totp

    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"
