from urllib.parse import quote

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts import twofactor

# What a signed-in user who still owes the second factor may reach: the second-factor pages, sign-out,
# assets and the language switch.
_OPEN = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/i18n/")


class TwoFactorMiddleware:
    """Holds a session that needs a second factor and has not given it at the second-factor page
    (enrolment on first sign-in); the API answers 403 in JSON. Covers the admin too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(_OPEN)
                and twofactor.two_factor_required(user) and not twofactor.is_verified(request)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Two-factor sign-in is required for this account.")},
                                    status=403)
            target = "accounts:2fa_verify" if twofactor.confirmed_totp(user) else "accounts:2fa_setup"
            return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)
