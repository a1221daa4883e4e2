"""Activity and volunteering events that notify: a waitlist promotion, an activity reminder and a shift
reminder, each once."""

import datetime as dt

from django.utils import timezone

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.testing import activity, resident
from linli.core.testing import SiteFactory, UserFactory, grant
from linli.notifications.models import Notification
from linli.volunteers import services as volunteer_services
from linli.volunteers.models import Team


def _got(user, key):
    return list(Notification.objects.filter(recipient=user, key=key))


def _staff(county):
    return grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])


def test_a_waitlisted_person_who_gets_a_seat_is_told(county):
    staff = _staff(county)
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=1, title="书法课").occurrences.get()
    first, second = resident(county["A1"]), resident(county["A1"])
    seat = services.registration_create(occurrence=occ, person=first.person, by=first)
    services.registration_create(occurrence=occ, person=second.person, by=second)
    assert not _got(second, "activity.promoted")
    services.registration_cancel(registration=seat, by=first)
    (n,) = _got(second, "activity.promoted")
    assert "书法课" in n.subject and n.link == f"/activities/{occ.activity_id}/"


def test_an_activity_reminder_goes_once_to_each_seat_within_a_day(county):
    staff = _staff(county)
    soon = activity(by=staff, site=SiteFactory(division=county["A"]), start=timezone.now() + dt.timedelta(hours=20),
                    title="健康讲座").occurrences.get()
    later = activity(by=staff, site=SiteFactory(division=county["A"]), start=timezone.now() + dt.timedelta(days=3),
                     title="电影").occurrences.get()
    person = resident(county["A1"])
    services.registration_create(occurrence=soon, person=person.person, by=person)
    services.registration_create(occurrence=later, person=person.person, by=person)
    assert services.activity_reminders_send() == 1
    assert services.activity_reminders_send() == 0
    (n,) = _got(person, "activity.reminder")
    assert "健康讲座" in n.subject


def test_a_shift_reminder_reaches_the_volunteers_inbox_once(county):
    staff = _staff(county)
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=30).occurrences.get()
    shift = volunteer_services.shift_create(occurrence=occ, by=staff, role="引导员", needed=3)
    user = resident(county["A1"])
    v = volunteer_services.volunteer_register(person=user.person, by=user,
                                              teams=Team.objects.filter(code="party_member"))
    volunteer_services.shift_signup(shift=shift, volunteer=v, by=user)
    volunteer_services.shift_reminders_send(now=timezone.now() + dt.timedelta(minutes=1))
    volunteer_services.shift_reminders_send(now=timezone.now() + dt.timedelta(minutes=2))
    (n,) = _got(user, "shift.reminder")
    assert "引导员" in n.subject
