"""Pages of the separated duties: the system administrator's accounts, the security administrator's
role grants, the auditor's trail. Each page is for its duty alone; anyone else gets a 404."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts import audit_export, selectors, services
from linli.accounts.forms import AuditFilterForm, GrantForm, UserCreateForm
from linli.accounts.models import Role, User
from linli.core.models import AccessLog
from linli.core.paging import page_of
from linli.jobs.views import export_view

PAGE_SIZE = 50


def _only(test):
    def decorate(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not test(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def _page(request, qs):
    return page_of(request, qs, per_page=PAGE_SIZE)


def _errors(request, exc):
    for msgs in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]):
        for m in msgs:
            messages.error(request, m)


# --- system administrator: accounts -----------------------------------------------------------

@_only(selectors.is_system_admin)
def users(request):
    """Accounts: create, (de)activate, lock or unlock, reset the second factor. No personal records."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(by=request.user, **form.cleaned_data)
        messages.success(request, _("Account %(name)s created. The security administrator grants its roles.")
                         % {"name": user.username})
        return redirect("accounts:users")
    search = request.GET.get("q", "")[:100]
    return render(request, "accounts/duty_users.html", {
        "form": form, "page": _page(request, selectors.accounts(search=search)), "q": search,
        "now": timezone.now()})


@_only(selectors.is_system_admin)
@require_POST
def user_action(request, pk: int, action: str):
    user = get_object_or_404(User, pk=pk)
    try:
        if action == "deactivate":
            services.user_set_active(by=request.user, user=user, active=False)
        elif action == "activate":
            services.user_set_active(by=request.user, user=user, active=True)
        elif action == "lock":
            services.user_lock(by=request.user, user=user, until=timezone.now() + dt.timedelta(days=3650))
        elif action == "unlock":
            services.user_lock(by=request.user, user=user, until=None)
        elif action == "reset-2fa":
            services.user_reset_second_factor(by=request.user, user=user)
        else:
            raise Http404
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Done: %(name)s.") % {"name": user.username})
    return redirect("accounts:users")


# --- security administrator: role grants ------------------------------------------------------

@_only(selectors.is_security_admin)
def roles(request):
    """Role grants: grant a role at a division, revoke one. Nobody changes their own."""
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.role_grant(by=request.user, user=form.cleaned_data["username"],
                                kind=form.cleaned_data["kind"], division=form.cleaned_data["division"])
        except ValidationError as e:
            for field, msgs in e.message_dict.items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
        except PermissionDenied as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Role granted. The account's open sessions have ended."))
            return redirect("accounts:roles")
    search = request.GET.get("q", "")[:100]
    return render(request, "accounts/duty_roles.html", {
        "form": form, "page": _page(request, selectors.grants(search=search)), "q": search})


@_only(selectors.is_security_admin)
@require_POST
def role_revoke(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    try:
        services.role_revoke(by=request.user, role=role)
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Role revoked. The account's open sessions have ended."))
    return redirect("accounts:roles")


# --- auditor: the trail -----------------------------------------------------------------------

def _entries(request, form):
    return audit_export.entries(auditor=request.user, form=form)


@_only(selectors.is_auditor)
def audit(request):
    """Who viewed, searched or exported personal data, and who changed which record; filtered by user,
    person and date. The auditor's own actions are not shown to them."""
    form = AuditFilterForm(request.GET or None)
    log, qs = _entries(request, form)
    actions = AccessLog.Action.choices if log == "access" else [
        (str(v), label) for v, label in qs.model.Action.choices]
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(request, "accounts/duty_audit.html", {
        "form": form, "log": log, "page": _page(request, qs), "actions": actions,
        "query": filters.urlencode(), "extra_query": f"{filters.urlencode()}&" if filters else ""})


@_only(selectors.is_auditor)
def audit_export_view(request, fmt: str):
    """The filtered trail as CSV or .xlsx, built by a job (linli.accounts.audit_export); its download
    is recorded (and shown to other auditors)."""
    form = AuditFilterForm(request.GET or None)
    kind = (form.cleaned_data.get("log") if form.is_valid() else "") or "access"
    title = (_("Change log, %(date)s") if kind == "changes" else _("Access log, %(date)s")) % {
        "date": timezone.localdate().isoformat()}
    return export_view(request, builder="linli.accounts.audit_export.trail_export", title=title,
                       params={"query": request.GET.dict(), "fmt": fmt})
