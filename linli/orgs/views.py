from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from linli.core.forms import apply_errors
from linli.core.paging import page_of
from linli.orgs import selectors, services
from linli.orgs.forms import OrganizationForm
from linli.orgs.models import Organization


@login_required
def organization_list(request):
    q, kind = request.GET.get("q", "").strip()[:100], request.GET.get("kind", "")
    page = page_of(request, selectors.organization_list(user=request.user, q=q, kind=kind), per_page=30)
    for org in page:
        org.can_edit = selectors.can_manage(request.user, org.division)
    return render(request, "orgs/organization_list.html", {
        "page": page, "q": q, "kind": kind, "kinds": Organization.Kind.choices,
        "extra_query": f"kind={kind}&" if kind else "",
        "can_add": selectors.staff_divisions(user=request.user).exists(),
    })


@login_required
def organization_create(request):
    form = OrganizationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Organization registered."))
            return redirect("orgs:organization_list")
    return render(request, "orgs/form.html", {"form": form, "title": _("New organization")})


@login_required
def organization_edit(request, pk):
    org = get_object_or_404(selectors.organization_list(user=request.user), pk=pk)
    if not selectors.can_manage(request.user, org.division):
        raise PermissionDenied
    initial = {f: getattr(org, f) for f in services.FIELDS}
    form = OrganizationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(by=request.user, organization=org, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Organization saved."))
            return redirect("orgs:organization_list")
    return render(request, "orgs/form.html", {"form": form, "title": _("Edit %(name)s") % {"name": org.name}})
