"""API token authentication: tokens that expire and die with a lock (kept apart from accounts.api so
DRF can import it while its settings load)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_expires_at(token) -> dt.datetime:
    return token.created + dt.timedelta(seconds=settings.LINLI_TOKEN_TTL)


class ExpiringTokenAuthentication(TokenAuthentication):
    """A token is refused (and deleted) once LINLI_TOKEN_TTL seconds old, and refused while the
    account is locked. A new password or a change of roles deletes it (accounts.models.User)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise exceptions.AuthenticationFailed(_("Token has expired."))
        if user.locked_until and user.locked_until > timezone.now():
            raise exceptions.AuthenticationFailed(_("This account is locked."))
        return user, token
