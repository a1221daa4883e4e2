"""The staff page of background jobs: what ran, what runs, what failed and why (in the reader's language)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import Role
from linli.core.paging import page_of
from linli.core.scoping import role_kinds
from linli.jobs import selectors, services
from linli.jobs.models import Job


def _staff_only(user) -> None:
    if not (user.is_superuser or role_kinds(user) & set(Role.STAFF)):
        raise Http404


@login_required
def job_list(request):
    _staff_only(request.user)
    jobs = selectors.jobs_visible(request.user)
    status = request.GET.get("status", "")
    if status in Job.Status.values:
        jobs = jobs.filter(status=status)
    page = page_of(request, jobs, per_page=50)
    return render(request, "jobs/job_list.html", {
        "page": page, "jobs": page.object_list, "status": status, "statuses": Job.Status.choices,
        "figures": selectors.figures(request.user),
    })


@login_required
@require_POST
def job_cancel(request, pk):
    _staff_only(request.user)
    job = get_object_or_404(selectors.jobs_visible(request.user), pk=pk)
    try:
        services.job_cancel(job=job, by=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cancelled.") if job.status == Job.Status.CANCELLED
                         else _("The job stops at its next step."))
    return redirect("jobs:list")
