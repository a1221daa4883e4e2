"""The demo county is consistent: every activity date in a room holds it, and no two confirmed bookings
of a room overlap (so no activity date overlaps a confirmed booking of its room)."""

import itertools
from collections import defaultdict

import pytest

from linli.activities.models import Occurrence
from linli.demo import generator
from linli.places.models import Booking


@pytest.fixture
def demo(db):
    return generator.build(households_per_grid=4)


def test_demo_activity_dates_hold_their_rooms_and_overlap_no_booking(demo):
    dates = list(Occurrence.objects.filter(status=Occurrence.Status.SCHEDULED, room__isnull=False))
    holds = {b.occurrence_id: b for b in Booking.objects.filter(status=Booking.Status.CONFIRMED,
                                                                occurrence__isnull=False)}
    assert dates and Booking.objects.filter(occurrence__isnull=True, status=Booking.Status.CONFIRMED).exists()
    for occ in dates:
        hold = holds[occ.pk]
        assert (hold.room_id, hold.start, hold.end) == (occ.room_id, occ.start, occ.end)
    by_room = defaultdict(list)
    for b in Booking.objects.filter(status=Booking.Status.CONFIRMED).order_by("start"):
        by_room[b.room_id].append(b)
    overlaps = [(a.pk, b.pk) for bookings in by_room.values() for a, b in itertools.pairwise(bookings)
                if b.start < a.end]
    assert overlaps == []
