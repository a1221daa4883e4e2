"""Test helpers for the classroom: a site with a classroom, a program, a guardian with a child, a
tutor with a background check, and a session running now."""

import datetime as dt

from django.utils import timezone

from linli.accounts.models import Role
from linli.core.testing import PersonFactory, RoomFactory, SiteFactory, UserFactory, grant, open_all_week
from linli.places.models import Room
from linli.volunteers.models import Volunteer

from . import services
from .models import Program, Session


def staff_user(division, **kw):
    return grant(UserFactory(**kw), Role.Kind.COMMUNITY_STAFF, division)


def classroom_site(division, **kw):
    site = SiteFactory(division=division, **kw)
    # Open round the clock, so self-study tests do not depend on the hour they run.
    open_all_week(site, opens=dt.time(0, 0), closes=dt.time(23, 59, 59))
    RoomFactory(site=site, name="四点半课堂", function=Room.Function.CLASSROOM, capacity=40)
    return site


def program(*, site, by, capacity=20, **kw) -> Program:
    today = timezone.localdate()
    kw.setdefault("term_start", today - dt.timedelta(days=30))
    kw.setdefault("term_end", today + dt.timedelta(days=120))
    kw.setdefault("weekdays", list(range(7)))
    return services.program_create(by=by, site=site, name=kw.pop("name", "四点半课堂"), capacity=capacity,
                                   room=site.rooms.filter(function=Room.Function.CLASSROOM).first(), **kw)


def guardian(grid, *, username=None, phone=None, name="李芳"):
    """A resident user with a person record (and a phone) in `grid`."""
    user = grant(UserFactory(**({"username": username} if username else {})), Role.Kind.RESIDENT, grid)
    kw = {"phone": phone} if phone else {}
    PersonFactory(division=grid, user=user, name=name, sex="F", with_id=False, **kw)
    return user


def enrol(*, program, by, child_name="小明", birth_date=None, pickups=(), **kw):
    birth_date = birth_date or timezone.localdate() - dt.timedelta(days=9 * 365)
    return services.enrollment_create(program=program, by=by, consent=kw.pop("consent", True),
                                      child_name=child_name, birth_date=birth_date, pickups=list(pickups), **kw)


def tutor(division, *, by, checked=True, username=None, role=True):
    """A teacher volunteer (with a tutor role at `division` unless role=False) and, by default, a
    valid background check recorded by `by`."""
    user = UserFactory(**({"username": username} if username else {}))
    if role:
        grant(user, Role.Kind.TUTOR, division)
    person = PersonFactory(division=division, user=user, with_id=False)
    volunteer = Volunteer.objects.create(person=person, division=division, number=f"T{person.pk:06d}")
    if checked:
        services.background_check_record(volunteer=volunteer, by=by,
                                          checked_on=timezone.localdate() - dt.timedelta(days=30),
                                          reference="XZ-2026-001")
    return user, volunteer


def running_session(program: Program, *, started_minutes_ago=10, length_minutes=120) -> Session:
    now = timezone.now()
    start = now - dt.timedelta(minutes=started_minutes_ago)
    return Session.objects.create(program=program, date=timezone.localdate(), start=start,
                                  end=start + dt.timedelta(minutes=length_minutes),
                                  tutors_needed=program.tutors_needed)
