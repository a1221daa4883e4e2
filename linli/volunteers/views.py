"""Pages for volunteer service. Thin: objects come through selectors (out of scope = 404), writes through
services. The volunteer's own page is built for the phone."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.activities import selectors as activity_selectors
from linli.activities import services as activity_services
from linli.activities.forms import aware
from linli.activities.views import qr_svg
from linli.core.forms import apply_errors
from linli.core.paging import page_of
from linli.jobs.views import export_view
from linli.volunteers import exports, selectors, services
from linli.volunteers.forms import JoinForm, ReasonForm, RecordForm, RedeemForm, ShiftForm
from linli.volunteers.models import Certificate, ServiceRecord, ShiftSignup, Team, Volunteer


def _error(request, e: ValidationError):
    messages.error(request, " ".join(e.messages))


# The volunteer's own pages ------------------------------------------------------------------------

@login_required
def home(request):
    """The volunteer's phone page: upcoming shifts, hours, stars, points, history. Staff also get links
    to what waits for them."""
    volunteer = selectors.volunteer_of(request.user)
    context = {"volunteer": volunteer, "organiser": selectors.can_organise_any(request.user)}
    if volunteer is not None:
        context.update({"summary": selectors.summary(volunteer),
                        "upcoming": selectors.upcoming_signups(volunteer)[:10],
                        "history": selectors.history(volunteer)[:20],
                        "ledger": selectors.ledger(volunteer)[:10]})
    if context["organiser"]:
        context["pending_count"] = selectors.pending_records(user=request.user).count()
    return render(request, "volunteers/home.html", context)


@login_required
def join(request):
    person = getattr(request.user, "person", None)
    if person is None:
        messages.error(request, _("Your account is not linked to a resident record; ask community staff to link it."))
        return redirect("volunteers:home")
    if selectors.volunteer_of(request.user):
        return redirect("volunteers:home")
    form = JoinForm(request.POST or None, initial={"teams": Team.objects.filter(code="youth")})
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_register(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Welcome! You are now a volunteer."))
            return redirect("volunteers:home")
    return render(request, "volunteers/join.html", {"form": form})


@login_required
def shift_list(request):
    volunteer = selectors.volunteer_of(request.user)
    page = page_of(request, selectors.open_shifts(user=request.user), per_page=20)
    mine = set()
    if volunteer:
        mine = set(volunteer.signups.filter(status=ShiftSignup.Status.CONFIRMED,
                                            shift__in=[s.pk for s in page.object_list]).values_list("shift_id", flat=True))
    return render(request, "volunteers/shift_list.html", {"page": page, "mine": mine, "volunteer": volunteer})


def _shift(request, pk):
    return get_object_or_404(selectors.shift_detail(user=request.user), pk=pk)


@login_required
def shift_detail(request, pk):
    shift = _shift(request, pk)
    volunteer = selectors.volunteer_of(request.user)
    organiser = activity_services.can_organise(request.user, shift.occurrence.activity.site.division)
    mine = volunteer and shift.signups.filter(volunteer=volunteer, status=ShiftSignup.Status.CONFIRMED).first()
    return render(request, "volunteers/shift_detail.html", {
        "shift": shift, "volunteer": volunteer, "mine": mine, "organiser": organiser, "now": timezone.now(),
        "roster": selectors.shift_roster(shift) if organiser else None,
        "candidates": selectors.volunteer_list(user=request.user).filter(active=True)[:200] if organiser else None})


@login_required
@require_POST
def shift_signup(request, pk):
    shift = _shift(request, pk)
    if request.POST.get("volunteer"):
        volunteer = get_object_or_404(Volunteer.objects.visible_to(request.user), pk=request.POST["volunteer"])
    else:
        volunteer = selectors.volunteer_of(request.user)
        if volunteer is None:
            return redirect("volunteers:join")
    try:
        services.shift_signup(shift=shift, volunteer=volunteer, by=request.user)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Signed up for the shift. You will get a reminder before it starts."))
    return redirect("volunteers:shift_detail", pk=pk)


@login_required
def shift_create(request, occurrence_pk):
    occ = get_object_or_404(activity_selectors.occurrence_detail(user=request.user), pk=occurrence_pk)
    if not activity_services.can_organise(request.user, occ.activity.site.division):
        raise PermissionDenied
    local_start, local_end = timezone.localtime(occ.start), timezone.localtime(occ.end)
    form = ShiftForm(request.POST or None, initial={"start_time": local_start.time(), "end_time": local_end.time()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        day = local_start.date()
        try:
            shift = services.shift_create(occurrence=occ, by=request.user, role=d["role"], needed=d["needed"],
                                          start=aware(day, d["start_time"]), end=aware(day, d["end_time"]),
                                          note=d["note"])
        except ValidationError as e:
            apply_errors(form, e, {"start": "start_time", "end": "end_time"})
        else:
            messages.success(request, _("Saved."))
            return redirect("volunteers:shift_detail", pk=shift.pk)
    return render(request, "volunteers/shift_form.html", {"form": form, "occ": occ})


def _signup(request, pk):
    return get_object_or_404(ShiftSignup.objects.visible_to(request.user).select_related(
        "shift__occurrence__activity__site__division", "volunteer__person"), pk=pk)


def _signup_action(request, pk, fn, ok_message, **kwargs):
    signup = _signup(request, pk)
    code = request.POST.get("code") or None
    try:
        fn(signup=signup, by=request.user, **({"code": code} if "code" in kwargs else {}))
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, ok_message)
    if code:
        occ = signup.shift.occurrence
        return redirect("activities:checkin", pk=occ.pk, code=code)
    return redirect(request.POST.get("next") or reverse("volunteers:shift_detail", args=[signup.shift_id]))


@login_required
@require_POST
def signup_cancel(request, pk):
    return _signup_action(request, pk, services.shift_signup_cancel, _("Shift sign-up cancelled."))


@login_required
@require_POST
def signup_checkin(request, pk):
    return _signup_action(request, pk, services.shift_check_in, _("Shift started."), code=True)


@login_required
@require_POST
def signup_checkout(request, pk):
    return _signup_action(request, pk, services.shift_check_out,
                          _("Shift ended; the hours wait for the organiser's confirmation."), code=True)


@login_required
@require_POST
def signup_no_show(request, pk):
    return _signup_action(request, pk, services.signup_mark_no_show, _("Marked as not come."))


# Organisers: volunteers and records ---------------------------------------------------------------

@login_required
def volunteer_list(request):
    if not selectors.can_organise_any(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()[:60]
    team = Team.objects.filter(code=request.GET.get("team", "")).first()
    page = page_of(request, selectors.volunteer_list(user=request.user, q=q, team=team), per_page=30)
    return render(request, "volunteers/volunteer_list.html", {"page": page, "q": q, "team": team,
                                                              "teams": Team.objects.all()})


def _volunteer(request, pk):
    return get_object_or_404(Volunteer.objects.visible_to(request.user).select_related("person", "division"), pk=pk)


@login_required
def volunteer_detail(request, pk):
    volunteer = _volunteer(request, pk)
    if selectors.volunteer_of(request.user) == volunteer:
        return redirect("volunteers:home")
    return render(request, "volunteers/volunteer_detail.html", {
        "volunteer": volunteer, "summary": selectors.summary(volunteer), "history": selectors.history(volunteer)[:50],
        "ledger": selectors.ledger(volunteer)[:20]})


@login_required
def records_export(request, pk):
    """A volunteer's service records as .xlsx (志愿服务记录台账), each saying where its hours came from;
    for the volunteer and the organisers who see them. Built by a job (linli.volunteers.exports): a POST
    queues it, a GET shows the button."""
    volunteer = _volunteer(request, pk)
    return export_view(request, builder="linli.volunteers.exports.service_records",
                       title=exports.records_title(volunteer), params={"volunteer": volunteer.pk},
                       division=volunteer.division)


@login_required
def record_add(request, pk):
    volunteer = _volunteer(request, pk)
    form = RecordForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        start, end = form.span()
        try:
            services.service_record_add(volunteer=volunteer, by=request.user, content=form.cleaned_data["content"],
                                        start=start, end=end, hours=form.cleaned_data["hours"])
        except ValidationError as e:
            apply_errors(form, e, RecordForm.RENAME)
        else:
            messages.success(request, _("Hours recorded; they count once confirmed."))
            return redirect("volunteers:volunteer_detail", pk=pk)
    return render(request, "volunteers/record_form.html", {"form": form, "volunteer": volunteer})


@login_required
def records_pending(request):
    if not selectors.can_organise_any(request.user):
        raise PermissionDenied
    page = page_of(request, selectors.pending_records(user=request.user), per_page=30)
    return render(request, "volunteers/records_pending.html", {"page": page, "reason_form": ReasonForm()})


def _record(request, pk):
    return get_object_or_404(ServiceRecord.objects.visible_to(request.user).select_related(
        "volunteer__person", "volunteer__division", "occurrence__activity__site__division"), pk=pk)


@login_required
@require_POST
def record_confirm(request, pk):
    try:
        services.service_record_confirm(record=_record(request, pk), by=request.user)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Hours confirmed."))
    return redirect(request.POST.get("next") or reverse("volunteers:records_pending"))


@login_required
@require_POST
def record_reject(request, pk):
    try:
        services.service_record_reject(record=_record(request, pk), by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Hours rejected."))
    return redirect(request.POST.get("next") or reverse("volunteers:records_pending"))


@login_required
@require_POST
def record_reverse(request, pk):
    record = _record(request, pk)
    try:
        services.service_record_reverse(record=record, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Record reversed."))
    return redirect("volunteers:volunteer_detail", pk=record.volunteer_id)


# Rewards ------------------------------------------------------------------------------------------

@login_required
def reward_list(request):
    volunteer = selectors.volunteer_of(request.user)
    return render(request, "volunteers/rewards.html", {
        "rewards": selectors.rewards(user=request.user), "volunteer": volunteer,
        "balance": selectors.summary(volunteer)["points"] if volunteer else None})


@login_required
@require_POST
def reward_redeem(request, pk):
    reward = get_object_or_404(selectors.rewards(user=request.user), pk=pk)
    volunteer = selectors.volunteer_of(request.user)
    form = RedeemForm(request.POST)
    if volunteer is None:
        return redirect("volunteers:join")
    if form.is_valid():
        try:
            services.reward_redeem(volunteer=volunteer, reward=reward, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("Redeemed. Show this page at the love supermarket to collect it."))
    return redirect("volunteers:rewards")


# Certificates -------------------------------------------------------------------------------------

@login_required
@require_POST
def certificate_issue(request, pk):
    volunteer = _volunteer(request, pk)
    try:
        cert = services.certificate_issue(volunteer=volunteer, by=request.user)
    except ValidationError as e:
        _error(request, e)
        return redirect("volunteers:home")
    return redirect("volunteers:certificate", pk=cert.pk)


@login_required
def certificate(request, pk):
    cert = get_object_or_404(Certificate.objects.visible_to(request.user).select_related(
        "volunteer__person", "volunteer__division", "issued_by"), pk=pk)
    url = request.build_absolute_uri(reverse("volunteers:verify", args=[cert.token]))
    return render(request, "volunteers/certificate.html", {"cert": cert, "qr": qr_svg(url, scale=3), "url": url,
                                                           "teams": cert.volunteer.teams.all(),
                                                           "sources": selectors.source_lines(cert.hours_by_source),
                                                           # A volunteer printing their own is no 经办人.
                                                           "issued_by_staff": cert.issued_by_id is not None
                                                           and cert.issued_by_id != cert.volunteer.person.user_id})


def verify(request, token):
    """Public: confirms a certificate exists as issued, showing only what is printed on it (masked)."""
    cert = Certificate.objects.select_related("volunteer__person", "volunteer__division").filter(token=token).first()
    name = ""
    if cert is not None:
        n = cert.volunteer.person.name
        name = n[0] + "*" * (len(n) - 2) + n[-1] if len(n) > 2 else n[0] + "*"
    sources = selectors.source_lines(cert.hours_by_source) if cert is not None else []
    return render(request, "volunteers/verify.html", {"cert": cert, "name": name, "sources": sources},
                  status=200 if cert else 404)
