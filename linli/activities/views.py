"""Pages for activities. Thin: objects come through selectors (out of scope = 404), writes through services."""

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.activities import exports, selectors, services
from linli.activities.exports import xlsx_safe  # noqa: F401 (canteen and volunteers import it from here)
from linli.activities.forms import (
    ActivityEditForm,
    ActivityForm,
    CalendarFilterForm,
    MonthForm,
    OccurrenceForm,
    ReasonForm,
    ReviewForm,
)
from linli.activities.ical import ics_calendar
from linli.activities.models import Registration
from linli.core.forms import apply_errors
from linli.core.paging import page_of
from linli.jobs.views import export_start
from linli.places.models import Site

ICAL_SALT = "linli.activities.ical"


def _occurrence(request, pk):
    return get_object_or_404(selectors.occurrence_detail(user=request.user), pk=pk)


def _organised_occurrence(request, pk):
    occ = _occurrence(request, pk)
    if not services.can_organise(request.user, occ.activity.site.division):
        raise PermissionDenied
    return occ


def _registration(request, pk):
    qs = Registration.objects.visible_to(request.user).select_related("occurrence__activity__site__division", "person")
    return get_object_or_404(qs, pk=pk)


def qr_svg(url: str, scale: int = 6) -> str:
    """An inline SVG QR code (segno) for a URL we built ourselves."""
    # viewBox without a fixed size: the code scales to the width it is given (a phone) and stays square.
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#1f2328", omitsize=True)


def checkin_url(request, occ) -> str:
    return request.build_absolute_uri(reverse("activities:checkin", args=[occ.pk, occ.checkin_token]))


# Lists and details --------------------------------------------------------------------------------

@login_required
def occurrence_list(request):
    """Upcoming activities the user can join (phone first: cards), and their own sign-ups."""
    page = page_of(request, selectors.upcoming(user=request.user), per_page=20, details=selectors.cards)
    mine = {r.occurrence_id: r for r in Registration.objects.filter(
        person__user=request.user, status__in=Registration.ACTIVE, occurrence__in=[o.pk for o in page.object_list])}
    for occ in page.object_list:
        occ.mine = mine.get(occ.pk)
    return render(request, "activities/occurrence_list.html", {
        "page": page, "can_create": selectors.can_organise_any(request.user)})


@login_required
def my_registrations(request):
    page = page_of(request, selectors.my_registrations(user=request.user), per_page=20)
    return render(request, "activities/my_registrations.html", {"page": page, "now": timezone.now()})


@login_required
def occurrence_detail(request, pk):
    occ = _occurrence(request, pk)
    mine = selectors.my_registration_for(user=request.user, occurrence=occ)
    organiser = services.can_organise(request.user, occ.activity.site.division)
    now = timezone.now()
    context = {
        "occ": occ, "activity": occ.activity, "mine": mine, "organiser": organiser, "now": now,
        "position": selectors.waitlist_position(mine) if mine and mine.status == "waitlisted" else None,
        "free": max(occ.capacity - occ.confirmed, 0),
        "signup_open": not occ.is_cancelled and (occ.signup_opens is None or occ.signup_opens <= now)
        and now < (occ.signup_closes or occ.start),
        "review_form": ReviewForm(initial={"rating": mine.review.rating, "comment": mine.review.comment}
                                  if mine and hasattr(mine, "review") else None),
        "can_review": bool(mine and mine.checked_in_at and occ.start <= now),
        "reviews": selectors.review_summary(occurrence=occ) if organiser else None,
        "shifts": occ.shifts.order_by("start"),
    }
    return render(request, "activities/occurrence_detail.html", context)


@login_required
@require_POST
def signup(request, pk):
    occ = _occurrence(request, pk)
    person = getattr(request.user, "person", None)
    if person is None:
        messages.error(request, _("Your account is not linked to a resident record; ask community staff to link it."))
        return redirect("activities:occurrence_detail", pk=pk)
    try:
        reg = services.registration_create(occurrence=occ, person=person, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if reg.status == Registration.Status.CONFIRMED:
            messages.success(request, _("You have a seat. Scan the code at the door to check in."))
        else:
            messages.warning(request, _("All seats are taken; you are on the waitlist and will move up "
                                        "automatically when a seat frees."))
    return redirect("activities:occurrence_detail", pk=pk)


@login_required
@require_POST
def registration_cancel(request, pk):
    reg = _registration(request, pk)
    try:
        services.registration_cancel(registration=reg, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect(request.POST.get("next") or reverse("activities:occurrence_detail", args=[reg.occurrence_id]))


@login_required
@require_POST
def review(request, pk):
    reg = _registration(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_submit(registration=reg, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("Thank you for your review."))
    else:
        messages.error(request, _("Choose 1 to 5 stars."))
    return redirect("activities:occurrence_detail", pk=reg.occurrence_id)


# Organisers: create, edit, cancel -----------------------------------------------------------------

@login_required
def activity_create(request):
    if not selectors.can_organise_any(request.user):
        raise PermissionDenied
    form = ActivityForm(request.POST or None, user=request.user,
                        initial={"date": timezone.localdate() + dt.timedelta(days=7), "start_time": dt.time(19, 30),
                                 "end_time": dt.time(21, 0), "capacity": 30, "signup_closes_minutes": 0,
                                 "kind": request.GET.get("kind", "activity"),
                                 "title": _("City night talk") if request.GET.get("kind") == "night_talk" else ""})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        start, end = form.span()
        for k in ("date", "start_time", "end_time"):
            data.pop(k)
        try:
            activity = services.activity_create(by=request.user, start=start, end=end, **data)
        except ValidationError as e:
            apply_errors(form, e, ActivityForm.RENAME)
        else:
            messages.success(request, _("Saved."))
            return redirect("activities:activity_detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", {"form": form, "activity": None})


def _activity(request, pk):
    return get_object_or_404(selectors.activity_list(user=request.user), pk=pk)


@login_required
def activity_detail(request, pk):
    activity = _activity(request, pk)
    dates = selectors.occurrence_list(user=request.user).filter(activity=activity)
    now = timezone.now()
    past = request.GET.get("past") == "1"
    # Upcoming dates first, a page at a time; the past ones, newest first, behind their own tab.
    shown = dates.filter(end__lt=now).order_by("-start") if past else dates.filter(end__gte=now).order_by("start")
    page = page_of(request, shown, per_page=20)
    return render(request, "activities/activity_detail.html", {
        "activity": activity, "occurrences": page, "page": page, "past": past, "now": now,
        # exact (one series' dates), where the page's own count stops at the cap
        "past_count": dates.filter(end__lt=now).count() if not past or not page.paginator.count_is_exact
        else page.paginator.count,
        "organiser": services.can_organise(request.user, activity.site.division)})


@login_required
def activity_edit(request, pk):
    activity = _activity(request, pk)
    if not services.can_organise(request.user, activity.site.division):
        raise PermissionDenied
    initial = {"title": activity.title, "platform": activity.platform, "method": activity.method,
               "delivery": activity.delivery, "team": activity.team, "room": activity.room,
               "organizers": list(activity.organizers.all()), "description": activity.description}
    form = ActivityEditForm(request.POST or None, user=request.user, activity=activity, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(activity=activity, by=request.user, data=dict(form.cleaned_data))
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("activities:activity_detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", {"form": form, "activity": activity})


@login_required
@require_POST
def activity_cancel(request, pk):
    activity = _activity(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    n = services.activity_cancel(activity=activity, by=request.user, reason=form.cleaned_data.get("reason", ""))
    messages.success(request, _("%(n)d dates cancelled.") % {"n": n})
    return redirect("activities:activity_detail", pk=pk)


@login_required
def occurrence_edit(request, pk):
    occ = _organised_occurrence(request, pk)
    local_start, local_end = timezone.localtime(occ.start), timezone.localtime(occ.end)
    form = OccurrenceForm(request.POST or None, site=occ.activity.site, initial={
        "date": local_start.date(), "start_time": local_start.time(), "end_time": local_end.time(),
        "room": occ.room, "capacity": occ.capacity})
    if request.method == "POST" and form.is_valid():
        start, end = form.span()
        try:
            services.occurrence_update(occurrence=occ, by=request.user, start=start, end=end,
                                       room=form.cleaned_data["room"], capacity=form.cleaned_data["capacity"])
        except ValidationError as e:
            apply_errors(form, e, OccurrenceForm.RENAME)
        else:
            messages.success(request, _("Saved. Only this date was changed."))
            return redirect("activities:occurrence_detail", pk=occ.pk)
    return render(request, "activities/occurrence_form.html", {"form": form, "occ": occ})


@login_required
@require_POST
def occurrence_cancel(request, pk):
    occ = _organised_occurrence(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.occurrence_cancel(occurrence=occ, by=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("This date is cancelled; the rest of the series is unchanged."))
    return redirect("activities:occurrence_detail", pk=pk)


# Check-in -----------------------------------------------------------------------------------------

@login_required
def roster(request, pk):
    """The organiser's roster: who has a seat, who waits, who came; check people in with one tap."""
    occ = _organised_occurrence(request, pk)
    if request.method == "POST":
        reg = get_object_or_404(occ.registrations, pk=request.POST.get("registration"))
        try:
            services.check_in_by_staff(registration=reg, by=request.user, undo="undo" in request.POST)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        return redirect("activities:roster", pk=pk)
    return render(request, "activities/roster.html", {"occ": occ, "rows": selectors.roster(occurrence=occ)})


@login_required
def door(request, pk):
    """The page shown at the door: the check-in QR code, big."""
    occ = _organised_occurrence(request, pk)
    url = checkin_url(request, occ)
    return render(request, "activities/door.html", {"occ": occ, "qr": qr_svg(url, scale=10), "url": url})


@login_required
def qr(request, pk):
    occ = _organised_occurrence(request, pk)
    return HttpResponse(segno.make(checkin_url(request, occ), error="m").svg_inline(scale=8),
                        content_type="image/svg+xml")


@login_required
def checkin(request, pk, code):
    """Where the door QR code leads: the resident confirms and is checked in (and a volunteer with a
    shift here checks in or out of it)."""
    occ = get_object_or_404(selectors.occurrence_detail(user=request.user), pk=pk)
    error = None
    try:
        services.check_code(occurrence=occ, code=code)
    except ValidationError as e:
        error = " ".join(e.messages)
    reg = selectors.my_registration_for(user=request.user, occurrence=occ)
    if request.method == "POST" and error is None:
        try:
            reg = services.check_in_by_code(occurrence=occ, code=code, by=request.user)
        except ValidationError as e:
            error = " ".join(e.messages)
        else:
            messages.success(request, _("Checked in. Welcome!"))
            return redirect("activities:checkin", pk=pk, code=code)
    from linli.volunteers.selectors import my_signups_at

    return render(request, "activities/checkin.html", {
        "occ": occ, "code": code, "error": error, "reg": reg,
        "signups": my_signups_at(user=request.user, occurrence=occ)}, status=400 if error else 200)


@login_required
def sign_in_sheet(request, pk):
    """The printable sign-in sheet (签到表), A4, with the registered names and blank lines."""
    occ = _organised_occurrence(request, pk)
    rows = list(selectors.roster(occurrence=occ).filter(status=Registration.Status.CONFIRMED))
    blanks = range(max(occ.capacity - len(rows), 0) if len(rows) < 40 else 5)
    return render(request, "activities/sign_in_sheet.html", {"occ": occ, "rows": rows, "blanks": blanks})


# Calendar and iCal --------------------------------------------------------------------------------

@login_required
def calendar(request):
    form = CalendarFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "month"
    day = data.get("date") or timezone.localdate()
    site, community = data.get("site"), data.get("community")
    cal = selectors.calendar(user=request.user, view=view, day=day, site=site, division=community)
    ical = None
    if site is not None:
        ical = request.build_absolute_uri(reverse("activities:ical", args=[signing.Signer(salt=ICAL_SALT).sign(str(site.pk))]))
    query = {k: v for k, v in request.GET.items() if k not in ("date", "view") and v}
    return render(request, "activities/calendar.html", {"cal": cal, "form": form, "site": site,
                                                         "community": community, "ical": ical, "query": query})


def ical(request, token):
    """A site's activities as an iCal feed calendar apps subscribe to. The URL carries a signature, so
    only people shown the link (on the calendar page) can subscribe; it holds no personal data."""
    try:
        pk = int(signing.Signer(salt=ICAL_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise Http404 from None
    site = get_object_or_404(Site, pk=pk)
    events = []
    for occ in selectors.ical_occurrences(site=site, since=timezone.now() - dt.timedelta(days=90)):
        a = occ.activity
        place = f"{site.name} {occ.room.name}" if occ.room else site.name
        events.append({"uid": f"occurrence-{occ.pk}@linli", "start": occ.start, "end": occ.end, "summary": a.title,
                       "location": place + " · " + site.address, "description": str(a.platform) + chr(10) + a.description,
                       "url": request.build_absolute_uri(reverse("activities:occurrence_detail", args=[occ.pk])),
                       "cancelled": occ.is_cancelled})
    response = HttpResponse(ics_calendar(name=site.name, events=events), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="site-{site.pk}.ics"'
    return response


# Ledger -------------------------------------------------------------------------------------------

@login_required
def ledger(request):
    """The monthly civilization-practice activity ledger (文明实践活动台账): on screen; its .xlsx is
    built by a job (POST with format=xlsx) and downloaded from the export's page."""
    if not selectors.can_organise_any(request.user):
        raise PermissionDenied
    form = MonthForm(request.GET or None, user=request.user,
                     initial={"month": timezone.localdate().replace(day=1)})
    month, community = exports.ledger_filters(form)
    if request.method == "POST" and request.GET.get("format") == "xlsx":
        return export_start(request, builder="linli.activities.exports.ledger", title=exports.ledger_title(month),
                            params={"query": request.GET.dict()}, division=community)
    rows = selectors.ledger_rows(user=request.user, month=month, division=community)
    totals = {"participants": sum(r["participants"] for r in rows), "hours": sum(r["hours"] for r in rows)}
    page = page_of(request, rows, per_page=50)  # the screen previews; the .xlsx holds the whole month
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "activities/ledger.html", {"form": form, "rows": page, "page": page, "month": month,
                                                       "totals": totals, "query": query.urlencode()})
