from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from linli.accounts import services
from linli.core.ratelimit import client_ip


class LockoutBackend(ModelBackend):
    """Model authentication with lock-out after repeated failures (GB/T 22239 level 3), counted per
    (username, client address) and identically for unknown names (accounts.services)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        ip = client_ip(request)
        until = services.login_locked_until(username=username, ip=ip)
        if until is None:
            user = super().authenticate(request, username=username, password=password, **kwargs)
            if user is None:
                until = services.login_failed(username=username, ip=ip)
            elif user.locked_until and user.locked_until > timezone.now():
                # Locked by an administrator: said only to someone who knows the password.
                until = user.locked_until
            else:
                services.login_succeeded(username=username, ip=ip)
                return user
        if request is not None:
            request.linli_locked_until = until
        return None
