from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _

from linli.accounts.forms import LoginForm
from linli.core.ratelimit import check_rate, client_ip


class LoginView(auth_views.LoginView):
    """Django's sign-in page, rate-limited per client address before any password is checked."""

    authentication_form = LoginForm
    template_name = "accounts/login.html"

    def post(self, request, *args, **kwargs):
        if not check_rate(request, "login", key=client_ip(request)):
            response = self.render_to_response(self.get_context_data(
                form=self.get_form_class()(request),
                rate_limited=_("Too many sign-in attempts from this address. Please wait a minute.")))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)
