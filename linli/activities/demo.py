"""The demo's activity dates hold their rooms, as dates made through the services do.

`reading_club` gives each community's center with a book bar the youth reading club, a series at
staggered times made through the services.

The volunteers extension writes the year of activity dates in bulk (the services refuse the past), so
they hold no room when it is done. `hold_rooms` is registered to run last (`register_extension(...,
last=True)`), after every extension, whichever of them writes dates.
"""

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from linli.activities import services
from linli.activities.models import Activity, Method, Occurrence, Platform
from linli.places import services as places
from linli.places.models import Booking, Room, Site

READING_CLUB = "青年读书会（错时）"
# Staggered times (错时): young people work office hours, so the club meets on a weekday evening one
# week and a weekend afternoon the next.
READING_EVENING = (1, dt.time(19, 30), dt.time(21, 0))   # Tuesday 19:30–21:00
READING_WEEKEND = (5, dt.time(15, 0), dt.time(16, 30))   # Saturday 15:00–16:30
READING_WEEKS = 12


def reading_club(*, rng, logins):
    """The youth reading club (青年读书会) as its own series in each community's center with a book bar:
    made through the activities services as any organiser would (so its dates hold the book bar), weekly
    on Tuesday evenings, with every other date moved alone to Saturday afternoon."""
    from linli.accounts.models import Role

    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    staff_of = {r.division_id: r.user for r in Role.objects.filter(kind=Role.Kind.COMMUNITY_STAFF).select_related("user")}
    platform, method = Platform.objects.get(code="culture_education"), Method.objects.get(code="colourful_culture")
    seen = set()
    for site in Site.objects.filter(is_neighborhood_center=True, rooms__function=Room.Function.BOOK_BAR).distinct():
        by = staff_of.get(site.division_id)
        if by is None or site.division_id in seen:
            continue
        if Activity.objects.filter(site__division=site.division_id, title__startswith="青年读书会").exists():
            seen.add(site.division_id)  # the community's club is already in the year of activities
            continue
        seen.add(site.division_id)
        room = site.rooms.filter(function=Room.Function.BOOK_BAR).first()
        wd, opens, closes = READING_EVENING
        first = today + dt.timedelta(days=(wd - today.weekday()) % 7 or 7)
        try:
            with transaction.atomic():
                activity = services.activity_create(
                    by=by, title=READING_CLUB, site=site, room=room, platform=platform, method=method,
                    capacity=min(25, room.capacity or 25), recurrence=Activity.Recurrence.WEEKLY,
                    start=dt.datetime.combine(first, opens, tzinfo=tz), end=dt.datetime.combine(first, closes, tzinfo=tz),
                    until=first + dt.timedelta(weeks=READING_WEEKS - 1), signup_opens_days=14,
                    description="工作日晚上与周末下午轮换举行，方便上班的年轻人参加 · demo data")
        except ValidationError:
            continue  # the book bar is taken at one of the dates: this center's club is left out
        Activity.objects.filter(pk=activity.pk).update(is_demo=True)
        wd, opens, closes = READING_WEEKEND
        for occ in list(activity.occurrences.order_by("start"))[1::2]:
            day = timezone.localtime(occ.start).date()
            day += dt.timedelta(days=wd - day.weekday())
            try:
                with transaction.atomic():
                    services.occurrence_update(occurrence=occ, by=by, start=dt.datetime.combine(day, opens, tzinfo=tz),
                                               end=dt.datetime.combine(day, closes, tzinfo=tz))
            except ValidationError:
                pass  # the book bar is taken that Saturday: this date stays on its evening


def hold_rooms(*, rng, logins):
    """Every demo date in a room holds it. The centre plans its activities before residents book, so a
    demo booking in the way was never accepted: it is removed (a series lists that date as skipped,
    with the reason a person would have been given)."""
    dates = list(Occurrence.objects.filter(activity__is_demo=True, status=Occurrence.Status.SCHEDULED,
                                           room__isnull=False)
                 .exclude(bookings__status=Booking.Status.CONFIRMED)
                 .select_related("activity__created_by", "room").order_by("start"))
    by_room = defaultdict(list)
    for occ in dates:
        by_room[occ.room_id].append(occ)
    in_the_way = [b for b in Booking.objects.filter(room_id__in=list(by_room), occurrence__isnull=True,
                                                    status__in=[Booking.Status.PENDING, Booking.Status.CONFIRMED])
                  .select_related("series", "room") if any(o.start < b.end and b.start < o.end for o in by_room[b.room_id])]
    Booking.objects.filter(pk__in=[b.pk for b in in_the_way]).delete()

    groups = defaultdict(list)
    for occ in dates:
        groups[(occ.activity_id, occ.room_id)].append(occ)
    for group in groups.values():
        activity, room = group[0].activity, group[0].room
        try:
            places.room_hold(room=room, by=activity.created_by, occurrences=group, purpose=activity.title)
        except ValidationError:  # two demo activities in one room at once: the later date moves out
            for occ in group:
                try:
                    with transaction.atomic():
                        places.room_hold(room=room, by=activity.created_by, occurrences=[occ], purpose=activity.title)
                except ValidationError:
                    Occurrence.objects.filter(pk=occ.pk).update(room=None)

    skipped = defaultdict(list)
    for b in in_the_way:
        if b.series is not None:
            skipped[b.series].append({"date": timezone.localdate(b.start).isoformat(),
                                      "reason": places.overlap_reason(room=b.room, start=b.start, end=b.end)})
    for series, more in skipped.items():
        series.skipped = sorted(series.skipped + more, key=lambda s: s["date"])
        series.save(update_fields=["skipped"])
