"""Two-factor sign-in (TOTP with recovery codes, django-otp): who needs it, whether a session has it,
enrolment. Required for superusers and for the roles that reach personal data in full or run the
system (docs/decisions/0015-two-factor.md); LINLI_2FA_REQUIRED=false switches it off, and
`linli check --deploy` warns when it is off."""

from __future__ import annotations

import base64

import django_otp
from django.conf import settings
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.core.scoping import role_kinds

RECOVERY_CODES = 10
# Roles that run the system or its accounts and logs (separated duties) need the second factor too.
ADMINISTRATIVE_ROLES = ("county_admin", "system_admin", "security_admin", "auditor")


def required_roles() -> set[str]:
    """The one rule: the roles that may reveal full ID numbers and phones (people.selectors.can_see_full,
    LINLI_FULL_PERSONAL_DATA_ROLES), and the administrative roles."""
    return set(settings.LINLI_FULL_PERSONAL_DATA_ROLES) | set(ADMINISTRATIVE_ROLES)


def two_factor_required(user) -> bool:
    if not settings.LINLI_2FA_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.is_staff or bool(role_kinds(user) & required_roles())


def is_verified(request) -> bool:
    """The session passed a second factor (django_otp.login wrote the device into it). Kept in the
    server-side session and trusted for its life; removing a device ends the user's sessions."""
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(user) -> TOTPDevice:
    """The user's unconfirmed authenticator device (made on first sight, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (for the demo's `linli totp` and the browser tests)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@transaction.atomic
def recovery_codes_new(*, user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODES new single-use ones."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def enrol_confirm(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a first code; returns the new recovery codes, or None."""
    if device.confirmed or device.user_id != request.user.pk or not device.verify_token(code.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_new(user=request.user)
    django_otp.login(request, device)
    return codes


def verify(*, request, code: str) -> bool:
    """Check a code from the authenticator or a recovery code; on success the session is verified."""
    device = django_otp.match_token(request.user, code.strip().replace(" ", ""))
    if device is None:
        return False
    django_otp.login(request, device)
    return True


def verify_user(*, user, code: str) -> bool:
    """Check a second factor without a session (the API token endpoint)."""
    return django_otp.match_token(user, (code or "").strip().replace(" ", "")) is not None
