"""The staff page of background jobs: what ran, what runs, what failed and why (in the reader's language)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import Role
from linli.core.paging import page_of
from linli.core.scoping import role_kinds
from linli.jobs import exports, selectors, services
from linli.jobs.models import Export, Job


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
    # The exports among them that this user asked for link to their page (one query for the page).
    mine = dict(Export.objects.filter(created_by=request.user, job__in=list(page.object_list))
                .values_list("job_id", "token"))
    for job in page.object_list:
        job.export_token = mine.get(job.pk)
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


# Exports (linli.jobs.exports) ---------------------------------------------------------------------

def export_start(request, *, builder: str, title: str, params: dict | None = None, division=None):
    """What an export button's POST answers: queue the export, go to its page."""
    export = exports.export_request(builder=builder, by=request.user, title=title, params=params,
                                    division=division)
    return redirect("jobs:export", token=export.token)


def _my_export(request, token):
    try:
        return exports.export_for(user=request.user, token=token)
    except Export.DoesNotExist:
        raise Http404 from None


def _export_context(export):
    job = export.job
    return {"export": export, "job": job,
            "working": not export.is_ready and job is not None and not job.is_over}


@login_required
def export_page(request, token):
    """An export's progress, then its download link; only the user who asked sees it."""
    export = _my_export(request, token)
    return render(request, "jobs/export.html", _export_context(export))


@login_required
def export_progress(request, token):
    """The progress card, polled by htmx while the job runs."""
    export = _my_export(request, token)
    return render(request, "jobs/_export_progress.html", _export_context(export))


@login_required
def export_download(request, token):
    export = _my_export(request, token)
    try:
        handle = exports.export_open(export=export, request=request)
    except (Export.DoesNotExist, FileNotFoundError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=export.download_name or "export",
                        content_type=export.content_type or "application/octet-stream")


def export_view(request, *, builder: str, title: str, params: dict | None = None, division=None):
    """An export endpoint: a POST queues the export; a GET (an old link, a bookmark) shows what would be
    exported with the button that does it."""
    if request.method == "POST":
        return export_start(request, builder=builder, title=title, params=params, division=division)
    return render(request, "jobs/export_start.html", {"title": title})
