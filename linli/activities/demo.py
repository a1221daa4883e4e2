"""The demo's activity dates hold their rooms, as dates made through the services do.

The volunteers extension writes the year of activity dates in bulk (the services refuse the past), so
they hold no room when it is done. `hold_rooms` is registered to run last (`register_extension(...,
last=True)`), after every extension, whichever of them writes dates.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from linli.activities.models import Occurrence
from linli.places import services as places
from linli.places.models import Booking


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
