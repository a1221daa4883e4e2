"""Pages for places. Thin: objects come through selectors (out of scope = 404), writes through services."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from linli.core.dates import clamp_event_day
from linli.core.forms import apply_errors
from linli.core.paging import page_of
from linli.coverage.selectors import nearest_centers
from linli.places import selectors, services
from linli.places.forms import (
    WEEKDAYS,
    BookingFilterForm,
    BookingForm,
    BookingSeriesForm,
    OpeningExceptionForm,
    OpeningHoursFormSet,
    ReasonForm,
    RoomForm,
    SiteForm,
)
from linli.places.models import Booking, OpeningException


def _site(request, pk):
    return get_object_or_404(selectors.site_detail(user=request.user), pk=pk)


def _managed_site(request, pk):
    # Reading a site is public within the county; managing one is for its own scope (else 404).
    site = get_object_or_404(selectors.site_detail(user=request.user).filter(
        pk__in=selectors.site_list(user=request.user).values("pk")), pk=pk)
    if not selectors.can_manage(request.user, site):
        raise PermissionDenied
    return site


def _room(request, pk):
    return get_object_or_404(selectors.room_list(user=request.user), pk=pk)


# Sites --------------------------------------------------------------------------------------------

@login_required
def site_list(request):
    q = request.GET.get("q", "").strip()[:100]
    page = page_of(request, selectors.site_directory_with_counts(user=request.user, q=q), per_page=30)
    return render(request, "places/site_list.html", {
        "page": page, "q": q, "can_create": selectors.can_manage_places(request.user),
        "nearest": None if q or page.number > 1 else nearest_centers(user=request.user)})


@login_required
def site_detail(request, pk):
    site = _site(request, pk)
    hours = {}
    for h in site.opening_hours.all():
        hours.setdefault(h.weekday, []).append(h)
    week = [(label, hours.get(day, [])) for day, label in WEEKDAYS]
    bookable = set(selectors.room_list(user=request.user, site=site).values_list("pk", flat=True))
    for room in site.rooms.all():
        room.reachable = room.pk in bookable
    return render(request, "places/site_detail.html", {
        "site": site, "week": week, "can_manage": selectors.can_manage(request.user, site),
        "open_now": selectors.open_now(site), "map_url": selectors.map_app_url(site),
        "exceptions": site.opening_exceptions.filter(date__gte=timezone.localdate())[:10]})


def _site_form_view(request, site=None):
    if site is None and not selectors.can_manage_places(request.user):
        raise PermissionDenied
    form = SiteForm(request.POST or None, instance=site, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        gcj = data.pop("coords_gcj02")
        try:
            if site is None:
                site = services.site_create(by=request.user, coords_gcj02=gcj, **data)
            else:
                site = services.site_update(site=site, by=request.user, data=data, coords_gcj02=gcj)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("places:site_detail", pk=site.pk)
    return render(request, "places/site_form.html", {"form": form, "site": site})


@login_required
def site_create(request):
    return _site_form_view(request)


@login_required
def site_edit(request, pk):
    return _site_form_view(request, _managed_site(request, pk))


@login_required
def site_hours(request, pk):
    """Weekly hours (a formset of intervals) and exceptions (holidays, other hours) on one page."""
    site = _managed_site(request, pk)
    initial = [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in site.opening_hours.all()]
    formset = OpeningHoursFormSet(request.POST if "save_hours" in request.POST else None,
                                  initial=initial, prefix="hours")
    exc_form = OpeningExceptionForm(request.POST if "add_exception" in request.POST else None)
    if "save_hours" in request.POST and formset.is_valid():
        rows = [f.interval() for f in formset.forms if f.interval()]
        try:
            services.opening_hours_set(site=site, by=request.user, hours=rows)
        except ValidationError as e:
            formset._non_form_errors = formset.error_class(e.messages)
        else:
            messages.success(request, _("Opening hours saved."))
            return redirect("places:site_detail", pk=site.pk)
    if "add_exception" in request.POST and exc_form.is_valid():
        try:
            services.opening_exception_set(site=site, by=request.user, **exc_form.cleaned_data)
        except ValidationError as e:
            apply_errors(exc_form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("places:site_hours", pk=site.pk)
    if "delete_exception" in request.POST:
        exc = get_object_or_404(OpeningException, site=site, pk=request.POST["delete_exception"])
        services.opening_exception_delete(exception=exc, by=request.user)
        return redirect("places:site_hours", pk=site.pk)
    return render(request, "places/site_hours.html", {
        "site": site, "formset": formset, "exc_form": exc_form,
        "exceptions": site.opening_exceptions.filter(date__gte=timezone.localdate())})


# Rooms --------------------------------------------------------------------------------------------

@login_required
def room_create(request, site_pk):
    site = _managed_site(request, site_pk)
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            room = services.room_create(site=site, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("places:room_detail", pk=room.pk)
    return render(request, "places/room_form.html", {"form": form, "site": site, "room": None})


@login_required
def room_edit(request, pk):
    room = _room(request, pk)
    if not selectors.can_manage(request.user, room.site):
        raise PermissionDenied
    form = RoomForm(request.POST or None, instance=room)
    if request.method == "POST" and form.is_valid():
        try:
            room = services.room_update(room=room, by=request.user, data=form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("places:room_detail", pk=room.pk)
    return render(request, "places/room_form.html", {"form": form, "site": room.site, "room": room})


def _week_of(request) -> dt.date:
    try:
        day = clamp_event_day(dt.date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        day = None
    return selectors.week_monday(day or timezone.localdate())


@login_required
def room_detail(request, pk):
    """The room's week calendar, with the booking form under it (POST here books)."""
    room = _room(request, pk)
    form = BookingForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        start, end = form.span()
        try:
            booking = services.booking_request(room=room, by=request.user, start=start, end=end,
                                               purpose=form.cleaned_data["purpose"],
                                               attendees=form.cleaned_data["attendees"])
        except ValidationError as e:
            apply_errors(form, e, BookingForm.RENAME)
        else:
            if booking.status == Booking.Status.CONFIRMED:
                messages.success(request, _("Booked. The room is yours at that time."))
            else:
                messages.success(request, _("Request sent. You will see here when it is approved."))
            return redirect("places:booking_detail", pk=booking.pk)
    monday = _week_of(request)
    if form.is_bound and form.cleaned_data.get("date"):  # show the week the user tried to book
        monday = selectors.week_monday(form.cleaned_data["date"])
    return render(request, "places/room_detail.html", {
        "room": room, "form": form, "week": selectors.room_week(room=room, user=request.user, monday=monday),
        "can_manage": selectors.can_manage(request.user, room.site)})


# Bookings -----------------------------------------------------------------------------------------

@login_required
def booking_list(request):
    filters = BookingFilterForm(request.GET or None)
    status, mine = "", False
    if filters.is_valid():
        status, mine = filters.cleaned_data["status"], filters.cleaned_data["mine"]
    qs = selectors.booking_list(user=request.user, status=status, mine=mine).order_by("-start")
    page = page_of(request, qs, per_page=30)
    return render(request, "places/booking_list.html", {"page": page, "filters": filters})


@login_required
def booking_detail(request, pk):
    booking = get_object_or_404(selectors.booking_list(user=request.user).select_related(
        "decided_by", "cancelled_by", "series", "room__site__division"), pk=pk)
    manager = selectors.can_manage(request.user, booking.room.site)
    active = booking.status in (Booking.Status.PENDING, Booking.Status.CONFIRMED) and booking.end > timezone.now() \
        and not booking.is_activity_hold  # an activity date's booking goes with the date
    return render(request, "places/booking_detail.html", {
        "booking": booking, "reason_form": ReasonForm(),
        "can_decide": manager and booking.status == Booking.Status.PENDING,
        "can_cancel": active and (manager or booking.booked_by_id == request.user.pk)})


def _booking_action(request, pk, action, done_message):
    booking = get_object_or_404(selectors.booking_list(user=request.user), pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        action(booking, reason)
    except ValidationError as e:
        for msg in e.messages:
            messages.error(request, msg)
    else:
        messages.success(request, done_message)
    return redirect("places:booking_detail", pk=booking.pk)


@login_required
@require_POST
def booking_confirm(request, pk):
    return _booking_action(request, pk, lambda b, _r: services.booking_confirm(booking=b, by=request.user),
                           _("Approved."))


@login_required
@require_POST
def booking_reject(request, pk):
    return _booking_action(request, pk, lambda b, r: services.booking_reject(booking=b, by=request.user, reason=r),
                           _("Rejected."))


@login_required
@require_POST
def booking_cancel(request, pk):
    return _booking_action(request, pk, lambda b, r: services.booking_cancel(booking=b, by=request.user, reason=r),
                           _("Cancelled."))


@login_required
def series_create(request, room_pk):
    room = _room(request, room_pk)
    today = timezone.localdate()
    form = BookingSeriesForm(request.POST or None, initial={
        "start_date": today, "end_date": today + dt.timedelta(weeks=8), "weekdays": [today.weekday()]})
    if request.method == "POST" and form.is_valid():
        try:
            series = services.booking_series_create(room=room, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("Series booked."))
            return redirect("places:series_detail", pk=series.pk)
    return render(request, "places/series_form.html", {"form": form, "room": room})


@login_required
def series_detail(request, pk):
    series = get_object_or_404(selectors.series_list(user=request.user), pk=pk)
    bookings = series.bookings.order_by("start")
    can_cancel = (series.booked_by_id == request.user.pk or selectors.can_manage(request.user, series.room.site)) \
        and bookings.filter(start__gt=timezone.now(), status__in=[Booking.Status.PENDING,
                                                                   Booking.Status.CONFIRMED]).exists()
    skipped = [(dt.date.fromisoformat(s["date"]), s["reason"]) for s in series.skipped]
    labels = dict(WEEKDAYS)
    return render(request, "places/series_detail.html", {
        "series": series, "bookings": bookings, "skipped": skipped, "can_cancel": can_cancel,
        "weekday_labels": [labels[w] for w in series.weekdays]})


@login_required
@require_POST
def series_cancel(request, pk):
    series = get_object_or_404(selectors.series_list(user=request.user), pk=pk)
    n = services.booking_series_cancel(series=series, by=request.user)
    messages.success(request, ngettext("%(n)d booking of the series cancelled.",
                                       "%(n)d bookings of the series cancelled.", n) % {"n": n})
    return redirect("places:series_detail", pk=series.pk)
