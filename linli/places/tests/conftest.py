"""Places fixtures: an open site with a room in community A and in B, a day ahead to book on."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.testing import RoomFactory, SiteFactory, open_all_week


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def day() -> dt.date:
    """A Wednesday at least a week ahead (so "in the past" never interferes)."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 + (2 - today.weekday()) % 7)


@pytest.fixture
def site_a(county):
    site = SiteFactory(division=county["A"], name="东山邻里中心")
    open_all_week(site)  # 08:00–21:00
    return site


@pytest.fixture
def site_b(county):
    site = SiteFactory(division=county["B"], name="西门邻里中心")
    open_all_week(site)
    return site


@pytest.fixture
def room_a(site_a):
    return RoomFactory(site=site_a, name="书画室", capacity=20, max_booking_hours=4)


@pytest.fixture
def room_b(site_b):
    return RoomFactory(site=site_b, name="舞蹈房", capacity=20)


@pytest.fixture
def staff_a(make_user, county):
    return make_user("community_staff", county["A"])


@pytest.fixture
def resident_a(make_user, county):
    return make_user("resident", county["A"])
