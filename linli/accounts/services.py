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
