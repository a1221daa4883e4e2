import segno
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.accounts import twofactor
from linli.accounts.forms import CodeForm, LoginForm
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


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("core:home")


def _too_fast(request, form):
    if check_rate(request, "login", key=f"2fa|{request.user.pk}"):
        return False
    form.add_error(None, _("Too many attempts. Please wait a minute."))
    return True


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_verify(request):
    """The second step of sign-in: a code from the authenticator app or a recovery code."""
    if twofactor.confirmed_totp(request.user) is None:
        return redirect(f"{reverse('accounts:2fa_setup')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _too_fast(request, form):
        if twofactor.verify(request=request, code=form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error("code", _("That code is not right. Codes change every 30 seconds."))
    return render(request, "accounts/2fa_verify.html", {"form": form, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request):
    """Enrolment on first sign-in: scan the QR code, type the first code, keep the recovery codes."""
    if twofactor.confirmed_totp(request.user) is not None:
        return redirect(f"{reverse('accounts:2fa_verify')}?next={_next(request)}")
    device = twofactor.enrolment_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _too_fast(request, form):
        codes = twofactor.enrol_confirm(request=request, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            return render(request, "accounts/2fa_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error("code", _("That code is not right. Codes change every 30 seconds."))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff")
    return render(request, "accounts/2fa_setup.html", {
        "form": form, "next": _next(request), "qr": qr, "secret": twofactor.secret_base32(device)})


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_codes(request):
    """New recovery codes (the old ones stop working); only from a verified session."""
    if not twofactor.is_verified(request):
        return redirect(f"{reverse('accounts:2fa_verify')}?next={request.path}")
    codes = twofactor.recovery_codes_new(user=request.user) if request.method == "POST" else None
    return render(request, "accounts/2fa_codes.html", {"codes": codes, "next": reverse("core:home")})
