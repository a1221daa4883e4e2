from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from linli.accounts.models import User


class LockoutBackend(ModelBackend):
    """Model authentication with lock-out after repeated failures (GB/T 22239 level 3)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = User.objects.filter(username=username).first() if username else None
        if user is not None and user.locked_until and user.locked_until > timezone.now():
            if request is not None:
                request.linli_locked_until = user.locked_until
            return None
        authed = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return authed
        if authed is None:
            user.failed_logins += 1
            if user.failed_logins >= settings.LINLI_LOGIN_MAX_FAILURES:
                user.locked_until = timezone.now() + timedelta(minutes=settings.LINLI_LOGIN_LOCK_MINUTES)
                user.failed_logins = 0
            User.objects.filter(pk=user.pk).update(failed_logins=user.failed_logins,
                                                  locked_until=user.locked_until)
        elif user.failed_logins or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        return authed
