"""Capacity under concurrent sign-ups, proven on PostgreSQL (select_for_update on the occurrence), and
room holds under concurrent bookings and scheduling (select_for_update on the room)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.models import Activity, Occurrence, Registration
from linli.activities.testing import activity, run_concurrently, seed_reference_data
from linli.core.testing import PersonFactory, RoomFactory, SiteFactory, UserFactory, grant, open_all_week
from linli.people.models import Person
from linli.places import services as places
from linli.places.models import Booking

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL; this runs in the PostgreSQL CI run")


def test_registration_never_exceeds_capacity_under_concurrency(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=50).occurrences.get()
    users = [grant(UserFactory(), Role.Kind.RESIDENT, county["A1"]) for _ in range(200)]
    for u in users:
        PersonFactory(division=county["A1"], user=u, with_id=False)
    persons = {p.user_id: p for p in Person.objects.filter(user__in=users)}

    def sign_up(user):
        return services.registration_create(occurrence=occ, person=persons[user.pk], by=user).status

    results, errors = run_concurrently(sign_up, users)
    assert errors == []
    assert results.count("confirmed") == 50 and results.count("waitlisted") == 150
    assert Registration.objects.filter(occurrence=occ, status="confirmed").count() == 50
    assert Registration.objects.filter(occurrence=occ, status="waitlisted").count() == 150


def test_concurrent_cancellations_promote_each_waitlisted_once_in_order(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=20).occurrences.get()
    regs = []
    for _ in range(40):
        u = grant(UserFactory(), Role.Kind.RESIDENT, county["A1"])
        p = PersonFactory(division=county["A1"], user=u, with_id=False)
        regs.append(services.registration_create(occurrence=occ, person=p, by=staff))
    confirmed, waiting = regs[:20], regs[20:]

    _, errors = run_concurrently(lambda r: services.registration_cancel(registration=r, by=staff),
                                 confirmed[:10], workers=10)
    assert errors == []
    assert Registration.objects.filter(occurrence=occ, status="confirmed").count() == 20
    promoted = set(Registration.objects.filter(pk__in=[r.pk for r in waiting], status="confirmed")
                   .values_list("pk", flat=True))
    assert promoted == {r.pk for r in waiting[:10]}


def test_a_room_booking_and_an_activity_for_the_same_slot_at_once_exactly_one_wins(county, make_user):
    """Residents book the room while organisers schedule activities in it, all for the same Saturday
    morning, released together: the room lock lets exactly one through, and a refused activity leaves
    nothing behind (no activity, no date, no booking)."""
    site = SiteFactory(division=county["A"])
    open_all_week(site)
    room = RoomFactory(site=site, capacity=40)
    today = timezone.localdate()
    saturday = today + dt.timedelta(days=7 + (5 - today.weekday()) % 7)
    start = dt.datetime.combine(saturday, dt.time(9), tzinfo=timezone.get_current_timezone())
    staff = [make_user(Role.Kind.COMMUNITY_STAFF, county["A"]) for _ in range(10)]
    residents = [grant(UserFactory(), Role.Kind.RESIDENT, county["A1"]) for _ in range(10)]
    seed_reference_data()  # before the race: the threads must not seed it at once

    def attempt(i):
        try:
            if i % 2:
                activity(by=staff[i // 2], site=site, room=room, start=start + dt.timedelta(minutes=i), hours=2,
                         title=f"活动{i}")
            else:
                places.booking_request(room=room, by=residents[i // 2], start=start + dt.timedelta(minutes=i),
                                       end=start + dt.timedelta(hours=2), purpose=f"预约{i}")
        except ValidationError:
            return "refused"
        return "activity" if i % 2 else "booking"

    results, errors = run_concurrently(attempt, list(range(20)), workers=20)
    assert errors == []
    assert results.count("refused") == 19, results
    confirmed = list(Booking.objects.filter(room=room, status=Booking.Status.CONFIRMED))
    assert len(confirmed) == 1
    won_by_activity = "activity" in results
    assert Activity.objects.count() == Occurrence.objects.count() == int(won_by_activity)
    assert (confirmed[0].occurrence_id is not None) == won_by_activity


def test_two_series_for_the_same_room_at_once_exactly_one_is_saved(county, make_user):
    """Two organisers schedule weekly series that collide on one date: one series is saved whole, the
    other not at all."""
    site = SiteFactory(division=county["A"])
    room = RoomFactory(site=site, capacity=40)
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 + (0 - today.weekday()) % 7)
    tz = timezone.get_current_timezone()
    staff = [make_user(Role.Kind.COMMUNITY_STAFF, county["A"]) for _ in range(2)]
    seed_reference_data()  # before the race: the threads must not seed it at once
    # Weekly from Monday for six weeks, and every two weeks from the Monday after: they share dates.
    plans = [(monday, "weekly"), (monday + dt.timedelta(weeks=1), "biweekly")]

    def attempt(i):
        first, recurrence = plans[i]
        try:
            activity(by=staff[i], site=site, room=room, start=dt.datetime.combine(first, dt.time(19), tzinfo=tz),
                     hours=2, recurrence=recurrence, until=monday + dt.timedelta(weeks=5), title=f"系列{i}")
        except ValidationError:
            return "refused"
        return "saved"

    results, errors = run_concurrently(attempt, [0, 1], workers=2)
    assert errors == [] and sorted(results) == ["refused", "saved"]
    act = Activity.objects.get()
    holds = Booking.objects.filter(room=room, status=Booking.Status.CONFIRMED)
    assert holds.count() == act.occurrences.count() == {"weekly": 6, "biweekly": 3}[act.recurrence]
