"""The demo's youth reading club (青年读书会) is a series of its own at staggered times (错时): weekday
evenings and weekend afternoons in turn, each date holding the book bar."""

import random

from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.demo import READING_CLUB, READING_WEEKS, reading_club
from linli.activities.models import Activity
from linli.activities.testing import seed_reference_data
from linli.core.testing import RoomFactory, SiteFactory, UserFactory, grant
from linli.places.models import Booking, Room


def test_the_demo_reading_club_alternates_evenings_and_weekends(county):
    seed_reference_data()
    site = SiteFactory(division=county["A"])
    book_bar = RoomFactory(site=site, function=Room.Function.BOOK_BAR, capacity=30)
    grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    reading_club(rng=random.Random(1), logins=[])
    club = Activity.objects.get(title=READING_CLUB, site=site)
    dates = [timezone.localtime(o.start) for o in club.occurrences.order_by("start")]
    assert len(dates) == READING_WEEKS
    assert [d.weekday() for d in dates[:4]] == [1, 5, 1, 5]
    assert [d.hour for d in dates[:4]] == [19, 15, 19, 15]
    assert Booking.objects.filter(occurrence__activity=club, room=book_bar, status=Booking.Status.CONFIRMED).count() == READING_WEEKS
    reading_club(rng=random.Random(1), logins=[])  # a community that has its club gets no second one
    assert Activity.objects.filter(title__startswith="青年读书会", site__division=county["A"]).count() == 1
