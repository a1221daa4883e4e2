"""Pages for grids. Thin: reads through selectors (out of scope = 404), writes through services, and
every page that shows residents' data writes an access-log row."""

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import Role
from linli.core.audit import audit_access
from linli.core.forms import apply_errors
from linli.core.models import AccessLog
from linli.core.paging import page_of, search_text
from linli.divisions.models import Division
from linli.grids import imports, selectors, services
from linli.grids.forms import AssignmentForm, BoundaryForm, CampaignForm, ImportForm, ReachForm, VisitForm
from linli.grids.models import GridAssignment, RegisterImport
from linli.jobs.views import export_view
from linli.people import selectors as people_selectors
from linli.people.audit import log_persons
from linli.people.exports import XLSX
from linli.people.models import CareTag, Household

A = AccessLog.Action
HOUSEHOLD_MODEL = "people.Household"
PAGE_SIZE = 30
HOME_LIST = 20  # the first rows of each to-do list on the worker's home; the list's own page has the rest


def _log_households(request, *, action, households, fields=("address",)):
    audit_access(request=request, action=action, model=HOUSEHOLD_MODEL, object_ids=[h.pk for h in households],
                 fields=list(fields))


def _back(request, default, **kwargs):
    """Back to where the form was opened from (a local path only), else to `default`."""
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(default, **kwargs)


def _grids(user):
    return selectors.grid_list(user=user)


@login_required
def home(request):
    """The grid worker's day: overdue care visits, open campaign households, one tap to record.
    Staff get the grids of their scope instead."""
    user = request.user
    mine = list(selectors.my_grids(user=user))
    if not mine:
        if not people_selectors.keeper_divisions(user=user).exists():
            raise Http404
        return redirect("grids:grid_list")
    overdue, overdue_total = selectors.overdue_first(user=user, grids=mine, limit=HOME_LIST)
    campaigns = selectors.open_campaign_households(user=user, limit=HOME_LIST)
    for _c, households, _n in campaigns:
        for h in households:
            h.key = uuid.uuid4()  # the submission key of a one-tap reach (offline-safe)
    prompts = selectors.visit_prompts(grids=mine, limit=HOME_LIST)
    done_today = selectors.visits_by(user=user).count()
    _log_households(request, action=A.LIST, households=overdue + [h for _c, hs, _n in campaigns for h in hs]
                    + [Household(pk=p.household_id) for p in prompts])
    return render(request, "grids/home.html", {"grids": mine, "overdue": overdue, "campaigns": campaigns,
                                               "overdue_total": overdue_total, "prompts": prompts,
                                               "done_today": done_today})


@login_required
def grid_list(request):
    grids = _grids(request.user).order_by("path")
    q = search_text(request)
    if q:
        grids = grids.filter(name__contains=q)
    page = page_of(request, grids)
    if not page.paginator.count and not q:
        raise Http404
    overdue = {}
    for division_id in (selectors.overdue_households(user=request.user).filter(division__in=list(page))
                        .values_list("division_id", flat=True)):
        overdue[division_id] = overdue.get(division_id, 0) + 1
    for g in page:
        g.overdue = overdue.get(g.pk, 0)
    return render(request, "grids/grid_list.html", {
        "grids": page, "page": page, "q": q, "unstaffed": selectors.unstaffed_grids(user=request.user).count(),
        "can_import": True, "campaigns": selectors.running_campaigns(user=request.user).count(),
    })


@login_required
def grid_detail(request, pk):
    grid = get_object_or_404(_grids(request.user), pk=pk)
    households = page_of(request, people_selectors.household_list(user=request.user, division=grid), per_page=PAGE_SIZE)
    mismatches = selectors.location_mismatches(user=request.user, division=grid)
    history = GridAssignment.objects.filter(grid=grid).select_related("user").order_by("-start_date")
    _log_households(request, action=A.LIST, households=list(households) + mismatches)
    return render(request, "grids/grid_detail.html", {
        "grid": grid, "page": households, "mismatches": mismatches, "history": history,
        "can_manage": selectors.can_manage(request.user, grid), "can_record": selectors.can_record(request.user, grid),
        "may_export_full": people_selectors.can_see_full_in(request.user, grid),
        "overdue": selectors.overdue_households(user=request.user, division=grid).count(),
    })


@login_required
def grid_boundary(request, pk):
    grid = get_object_or_404(_grids(request.user), pk=pk)
    if not selectors.can_manage(request.user, grid):
        raise PermissionDenied
    form = BoundaryForm(request.POST or None, request.FILES or None,
                        initial={"geojson": json.dumps(grid.boundary, ensure_ascii=False) if grid.boundary else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.grid_boundary_set(by=request.user, grid=grid, boundary=form.cleaned_data["boundary"])
        except ValidationError as exc:
            apply_errors(form, ValidationError({"geojson": exc.message_dict.get("boundary", exc.messages)}
                                                     if hasattr(exc, "error_dict") else exc.messages))
        else:
            messages.success(request, _("Boundary saved."))
            return redirect("grids:grid_detail", pk=grid.pk)
    return render(request, "grids/form.html", {"form": form, "grid": grid, "multipart": True,
                                               "title": _("Boundary of %(grid)s") % {"grid": grid.name}})


@login_required
def assignment_add(request, pk):
    grid = get_object_or_404(_grids(request.user), pk=pk)
    if not selectors.can_manage(request.user, grid):
        raise PermissionDenied
    form = AssignmentForm(request.POST or None, grid=grid)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_start(by=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Grid worker assigned."))
            return redirect("grids:grid_detail", pk=grid.pk)
    return render(request, "grids/form.html", {"form": form, "grid": grid,
                                               "title": _("Assign a worker to %(grid)s") % {"grid": grid.name}})


@login_required
@require_POST
def assignment_end(request, pk):
    assignment = get_object_or_404(GridAssignment.objects.visible_to(request.user).select_related("grid", "user"), pk=pk)
    try:
        services.assignment_end(by=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s no longer works this grid.") % {"name": assignment.user})
    return redirect("grids:grid_detail", pk=assignment.grid_id)


@login_required
def special_groups(request, pk):
    grid = get_object_or_404(_grids(request.user), pk=pk)
    code = request.GET.get("tag", "")
    tag = CareTag.objects.filter(code=code).first() if code else None
    page = page_of(request, selectors.special_groups(user=request.user, grid=grid, tag=tag), per_page=PAGE_SIZE)
    today = timezone.localdate()
    for p in page:
        p.overdue = bool(p.cadence) and (p.last_visit is None or (today - p.last_visit).days > p.cadence)
    log_persons(request, action=A.SEARCH if tag else A.LIST, ids=[p.pk for p in page],
                fields=["name", "age", "phone_masked", "id_number_masked", "care_tags", "last_visit"],
                query=f"tag={tag.code}" if tag else "")
    return render(request, "grids/special_groups.html", {"grid": grid, "page": page, "tag": tag,
                                                         "tags": CareTag.objects.all(),
                                                         "tag_query": f"tag={tag.code}&" if tag else ""})


@login_required
def overdue(request):
    page = page_of(request, selectors.overdue_households(user=request.user))
    rows = selectors.with_due(page)
    _log_households(request, action=A.LIST, households=rows)
    return render(request, "grids/overdue.html", {"rows": rows, "page": page})


@login_required
def locations(request):
    """Households whose location disagrees with their grid, across the user's scope."""
    page = page_of(request, selectors.location_mismatches(user=request.user))
    _log_households(request, action=A.LIST, households=list(page))
    return render(request, "grids/locations.html", {"rows": page, "page": page})


@login_required
def grid_export(request, pk):
    """The grid's register as .xlsx (the import template's columns), built by a job
    (linli.grids.exports): masked, or in full for a role allowed to see it; every download is audited."""
    grid = get_object_or_404(_grids(request.user), pk=pk)
    full = request.GET.get("full") == "1"
    if full and not people_selectors.can_see_full_in(request.user, grid):
        raise PermissionDenied
    title = (_("Register of %(grid)s, in full") if full else _("Register of %(grid)s")) % {"grid": grid.name}
    return export_view(request, builder="linli.grids.exports.register_export", title=title,
                       params={"grid_id": grid.pk, "full": full}, division=grid)


# Visits ---------------------------------------------------------------------------------------------

@login_required
def visit_create(request, pk):
    household = get_object_or_404(Household.objects.visible_to(request.user).select_related("division"), pk=pk)
    if not selectors.can_record(request.user, household.division):
        raise PermissionDenied
    from linli.cases import selectors as cases_selectors  # a need found on a visit becomes a case
    from linli.cases import services as cases_services

    members = list(people_selectors.household_members(household=household))
    form = VisitForm(request.POST or None, request.FILES or None, members=members,
                     campaigns=selectors.campaigns_to_deliver(user=request.user, household=household),
                     services=cases_selectors.services_for_kinds(cases_services.VISIT_KINDS))
    if request.method == "POST" and form.is_valid():
        try:
            visit, created = services.visit_record(by=request.user, household=household, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            done = [_("Visit recorded.") if created else _("This visit was already recorded.")]
            reached = [c.title for c in form.service_kwargs()["campaigns"]] if created else []
            if reached:
                done.append(_("Campaigns reached: %(titles)s.") % {"titles": "、".join(reached)})
            if created and form.chosen_service() is not None:
                try:
                    case = cases_services.case_from_visit(visit=visit, by=request.user, service=form.chosen_service())
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    done.append(_("Case %(number)s raised from the need.") % {"number": case.number})
            messages.success(request, " ".join(str(d) for d in done))
            return _back(request, "grids:home")
    recent = selectors.visit_list(user=request.user, household=household).select_related("case")[:5]
    log_persons(request, action=A.VIEW, ids=[m.person_id for m in members], fields=["name", "relation", "care_tags"])
    return render(request, "grids/visit_form.html", {"form": form, "household": household, "members": members,
                                                     "recent": recent, "next": request.GET.get("next", ""),
                                                     "need_choices": form.fields["need_service"].choices[1:]})


@login_required
def visit_photo(request, pk):
    visit = get_object_or_404(selectors.visit_list(user=request.user), pk=pk)
    if not visit.photo:
        raise Http404
    audit_access(request=request, action=A.VIEW, model="grids.Visit", object_ids=[visit.pk], fields=["photo"])
    return FileResponse(visit.photo.open("rb"))


# Campaigns ------------------------------------------------------------------------------------------

@login_required
def campaign_list(request):
    page = page_of(request, selectors.campaign_list(user=request.user))
    return render(request, "grids/campaign_list.html", {
        "campaigns": page, "page": page, "today": timezone.localdate(),
        "can_create": Division.objects.visible_to(request.user, roles=Role.STAFF).exists(),
    })


@login_required
def campaign_create(request):
    if not Division.objects.visible_to(request.user, roles=Role.STAFF).exists():
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Campaign started."))
            return redirect("grids:campaign_detail", pk=campaign.pk)
    return render(request, "grids/form.html", {"form": form, "title": _("New campaign")})


@login_required
def campaign_detail(request, pk):
    """The reach report: counts per community and per grid, and the households not yet reached, by
    address, a page at a time (all grids, or the one picked)."""
    campaign = get_object_or_404(selectors.campaign_list(user=request.user), pk=pk)
    report = selectors.campaign_report(user=request.user, campaign=campaign)
    grids = {g.grid.pk: g.grid for g in report.grids}
    grid = grids.get(int(request.GET["grid"])) if request.GET.get("grid", "").isdigit() else None
    page = page_of(request, selectors.campaign_unreached(user=request.user, campaign=campaign, grid=grid))
    _log_households(request, action=A.LIST, households=list(page))
    recordable = {g.pk for g in grids.values() if selectors.can_record(request.user, g)}
    for h in page:
        h.key = uuid.uuid4()
    return render(request, "grids/campaign_detail.html", {"campaign": campaign, "report": report, "page": page,
                                                          "grid": grid, "recordable": recordable})


@login_required
def reach_create(request, pk, household_pk):
    campaign = get_object_or_404(selectors.campaign_list(user=request.user), pk=pk)
    household = get_object_or_404(Household.objects.visible_to(request.user).select_related("division"),
                                  pk=household_pk)
    if not selectors.can_record(request.user, household.division):
        raise PermissionDenied
    form = ReachForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            _reach, created = services.reach_record(by=request.user, campaign=campaign, household=household,
                                                    **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(address)s reached.") % {"address": household.address} if created
                             else _("This reach was already recorded."))
            return _back(request, "grids:campaign_detail", pk=campaign.pk)
    _log_households(request, action=A.VIEW, households=[household])
    return render(request, "grids/reach_form.html", {"form": form, "campaign": campaign, "household": household,
                                                     "next": request.GET.get("next", "")})


# Register import ------------------------------------------------------------------------------------

@login_required
def import_upload(request):
    if not people_selectors.keeper_divisions(user=request.user).exists():
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            register_import, _preview = services.register_import_start(by=request.user, file_name=upload.name,
                                                                       data=upload.read())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("grids:import_preview", pk=register_import.pk)
    recent = RegisterImport.objects.filter(created_by=request.user)[:10]
    return render(request, "grids/import_upload.html", {"form": form, "recent": recent,
                                                        "columns": imports.COLUMNS, "required": imports.REQUIRED})


def _my_import(request, pk) -> RegisterImport:
    # Only the uploader sees an import; anyone else gets 404.
    return get_object_or_404(RegisterImport.objects.filter(created_by=request.user), pk=pk)


@login_required
def import_preview(request, pk):
    register_import = _my_import(request, pk)
    if request.method == "POST":
        if request.POST.get("action") == "discard":
            services.register_import_discard(by=request.user, register_import=register_import)
            messages.success(request, _("The file was discarded; nothing was imported."))
            return redirect("grids:import_upload")
        try:  # returns at once: a thread commits, the page shows its progress
            register_import = services.register_import_commit_start(by=request.user, register_import=register_import)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages[:20]))
        else:
            if register_import.status == RegisterImport.Status.COMMITTED:
                messages.success(request, _("The register was imported."))
        return redirect("grids:import_preview", pk=register_import.pk)
    summary = register_import.summary
    errors = summary.get("error_list", [])
    audit_access(request=request, action=A.VIEW, model="grids.RegisterImport", object_ids=[register_import.pk],
                 fields=["name", "id_number_masked", "address"])
    earlier = (RegisterImport.objects.filter(sha256=register_import.sha256, status=RegisterImport.Status.COMMITTED)
               .exclude(pk=register_import.pk).first())
    return render(request, "grids/import_preview.html", {
        "imp": register_import, "s": summary, "errors": errors[:500], "more_errors": max(0, summary.get("errors", 0) - 500),
        "earlier": earlier, "can_commit": register_import.status == RegisterImport.Status.PREVIEWED
        and not summary.get("errors") and summary.get("valid_rows"), **_progress_context(register_import)})


def _progress_context(register_import: RegisterImport) -> dict:
    return {"progress": services.register_import_progress(register_import),
            "stale": services.register_import_is_stale(register_import)}


@login_required
def import_progress(request, pk):
    """The progress bar, polled by htmx while the commit runs; when it has ended the page reloads to
    show the result. Writes nothing (no personal data is shown)."""
    register_import = _my_import(request, pk)
    if register_import.status != RegisterImport.Status.COMMITTING and request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "grids/_import_progress.html", {"imp": register_import,
                                                           **_progress_context(register_import)})


@login_required
def import_template(request):
    mine = selectors.my_grids(user=request.user).first() or people_selectors.keeper_divisions(user=request.user).first()
    body = imports.template_workbook(grid_name=mine.name if mine else "东门社区第1网格")
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="linli-household-register-template.xlsx"'
    return response

