"""Sign-in rules: failed attempts lock a (username, address) pair atomically; roles that change end
the user's sessions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from linli.accounts.models import LoginThrottle


def _key(username: str) -> str:
    return salted_hmac("linli.accounts.LoginThrottle", username.strip().lower()).hexdigest()


def login_locked_until(*, username: str, ip: str) -> dt.datetime | None:
    until = (LoginThrottle.objects.filter(username_key=_key(username), ip=ip)
             .values_list("locked_until", flat=True).first())
    return until if until and until > timezone.now() else None


def login_failed(*, username: str, ip: str) -> dt.datetime | None:
    """Count one failure; the LINLI_LOGIN_MAX_FAILURES-th locks the pair for LINLI_LOGIN_LOCK_MINUTES.
    The row is created without a race (insert-or-nothing) and counted under its row lock, so
    simultaneous failures are each counted. Returns the end of the lock if this failure set one."""
    key = _key(username)
    with transaction.atomic():
        LoginThrottle.objects.bulk_create([LoginThrottle(username_key=key, ip=ip)], ignore_conflicts=True)
        row = LoginThrottle.objects.select_for_update().get(username_key=key, ip=ip)
        now = timezone.now()
        if row.locked_until and row.locked_until > now:
            return row.locked_until
        LoginThrottle.objects.filter(pk=row.pk).update(failures=F("failures") + 1, updated_at=now)
        row.refresh_from_db(fields=["failures"])
        if row.failures < settings.LINLI_LOGIN_MAX_FAILURES:
            return None
        until = now + dt.timedelta(minutes=settings.LINLI_LOGIN_LOCK_MINUTES)
        LoginThrottle.objects.filter(pk=row.pk).update(failures=0, locked_until=until)
        return until


def login_succeeded(*, username: str, ip: str) -> None:
    LoginThrottle.objects.filter(username_key=_key(username), ip=ip).delete()


def roles_changed(*, user) -> None:
    """A grant added or taken away ends the user's sessions and tokens: a page or token opened under
    the old roles must not keep their reach."""
    user.end_sessions()


# --- Separated duties (三员分立): the security administrator grants roles, the system administrator
# keeps the accounts running; both are recorded by django-auditlog for the auditor.

def _refuse_self(by, user):
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if by.pk == user.pk:
        raise PermissionDenied(_("Nobody changes their own account or roles here."))


@transaction.atomic
def role_grant(*, by, user, kind: str, division):
    """Grant a role (security administrator). Duties are granted at the county; the model refuses an
    auditor who is also an administrator."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from linli.accounts.models import Role

    _refuse_self(by, user)
    if kind in Role.DUTIES and division.parent_id is not None:
        raise ValidationError({"division": _("Separated duties are granted at the county.")})
    if Role.objects.filter(user=user, kind=kind, division=division).exists():
        raise ValidationError({"kind": _("This role is already granted there.")})
    return Role.objects.create(user=user, kind=kind, division=division, granted_by=by)


@transaction.atomic
def role_revoke(*, by, role) -> None:
    _refuse_self(by, role.user)
    role.delete()


@transaction.atomic
def user_create(*, by, username: str, display_name: str, password: str):
    from linli.accounts.models import User

    return User.objects.create_user(username, password=password, display_name=display_name)


@transaction.atomic
def user_set_active(*, by, user, active: bool) -> None:
    _refuse_self(by, user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        user.end_sessions()


@transaction.atomic
def user_lock(*, by, user, until) -> None:
    """Lock an account (no sign-in, no token) until `until`, or unlock it (None); clears the
    failed sign-ins counted against its name."""
    _refuse_self(by, user)
    user.locked_until = until
    user.save(update_fields=["locked_until"])
    if until is not None:
        user.end_sessions()
    LoginThrottle.objects.filter(username_key=_key(user.username)).delete()


@transaction.atomic
def user_reset_second_factor(*, by, user) -> None:
    """Forget the user's authenticator and recovery codes (a lost phone): they enrol again at their
    next sign-in; their sessions end."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _refuse_self(by, user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.end_sessions()
