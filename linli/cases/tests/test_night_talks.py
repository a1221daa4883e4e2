"""A city night talk is an activity of its own kind: residents sign up, it holds its room, it is reminded
and in the activity ledger; after it is held its minutes are recorded and each opinion becomes a case."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.activities import selectors as activity_selectors
from linli.activities import services as activities
from linli.activities.models import Activity, Registration
from linli.activities.testing import activity, shift_to
from linli.cases import services
from linli.cases.models import Case, Kind, NightTalk
from linli.cases.tests.conftest import held_night_talk, item
from linli.places.models import Booking


def test_residents_sign_up_for_a_night_talk_and_it_holds_its_room(world):
    occ = held_night_talk(world, hours_ago=-48)  # in two days
    assert occ.activity.kind == Activity.Kind.NIGHT_TALK
    assert Booking.objects.filter(occurrence=occ, room=occ.room, status=Booking.Status.CONFIRMED).exists()
    reg = activities.registration_create(occurrence=occ, person=world["resident"].person, by=world["resident"])
    assert reg.status == Registration.Status.CONFIRMED


def test_a_night_talk_date_is_reminded_once(world):
    from linli.notifications.models import Notification

    occ = held_night_talk(world, hours_ago=-48)
    activities.registration_create(occurrence=occ, person=world["resident"].person, by=world["resident"])
    assert activities.activity_reminders_send(now=occ.start - dt.timedelta(hours=30)) == 0  # not yet
    assert activities.activity_reminders_send(now=occ.start - dt.timedelta(hours=20)) == 1
    assert activities.activity_reminders_send(now=occ.start - dt.timedelta(hours=10)) == 0  # once
    note = Notification.objects.get(recipient=world["resident"], key="activity.reminder")
    assert occ.activity.title in note.body + note.subject


def test_a_held_night_talk_is_in_the_activity_ledger(world):
    occ = held_night_talk(world, hours_ago=3)
    month = timezone.localtime(occ.start).date().replace(day=1)
    rows = activity_selectors.ledger_rows(user=world["staff"], month=month)
    assert [r["title"] for r in rows] == [occ.activity.title]


def test_recording_a_night_talk_turns_each_opinion_into_a_linked_case(world):
    occ = held_night_talk(world, hours_ago=2)
    reg = Registration.objects.create(occurrence=occ, person=world["resident"].person,
                                      status=Registration.Status.CONFIRMED, checked_in_at=occ.start)
    talk = services.night_talk_record(by=world["staff"], occurrence=occ, minutes="通报工作", opinions=[
        (item("opinion_traffic"), "增设公交站"), (item("opinion_care"), "食堂加晚餐")])
    assert talk.occurrence == occ and talk.division == world["A"] and talk.held_at == occ.start
    assert talk.attendees == 1 == Registration.objects.filter(pk=reg.pk, checked_in_at__isnull=False).count()
    opinions = Case.objects.filter(night_talk=talk).order_by("pk")
    assert [(c.kind, c.description, c.division) for c in opinions] == [
        (Kind.OPINION, "增设公交站", world["A"]), (Kind.OPINION, "食堂加晚餐", world["A"])]


def test_only_a_held_night_talk_date_is_recorded_and_only_once(world):
    with pytest.raises(ValidationError, match="after it is held"):
        services.night_talk_record(by=world["staff"], occurrence=held_night_talk(world, hours_ago=-48))
    ordinary = activity(by=world["staff"], site=held_night_talk(world, hours_ago=-96).activity.site, title="义诊")
    occ = ordinary.occurrences.get()
    shift_to(occ, start=timezone.now() - dt.timedelta(hours=5), end=timezone.now() - dt.timedelta(hours=4))
    with pytest.raises(ValidationError, match="night talk"):
        services.night_talk_record(by=world["staff"], occurrence=occ)
    held = held_night_talk(world, hours_ago=30)
    services.night_talk_record(by=world["staff"], occurrence=held)
    with pytest.raises(ValidationError, match="already recorded"):
        services.night_talk_record(by=world["staff"], occurrence=held)


def test_another_communitys_staff_cannot_record_it(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.night_talk_record(by=world["staff_b"], occurrence=held_night_talk(world))


def test_staff_record_a_held_night_talk_from_the_page(world):
    occ = held_night_talk(world)
    client = Client()
    client.force_login(world["staff"])
    form = client.get(reverse("cases:night_talk_new") + f"?occurrence={occ.pk}").content.decode()
    assert f'value="{occ.pk}" selected' in form
    r = client.post(reverse("cases:night_talk_new"), {
        "occurrence": occ.pk, "minutes": "答复居民", "category": item("opinion_traffic").pk,
        "opinions": "路灯不亮\n增设公交站"})
    assert r.status_code == 302
    talk = NightTalk.objects.get(occurrence=occ)
    assert talk.opinions.count() == 2
    detail = client.get(reverse("activities:occurrence_detail", args=[occ.pk])).content.decode()
    assert reverse("cases:night_talk", args=[talk.pk]) in detail


def test_the_migration_makes_earlier_night_talks_activity_dates(world):
    held = timezone.now() - dt.timedelta(days=40)
    old = NightTalk.objects.create(division=world["A"], title="十月城市夜话", held_at=held, place="社区活动室",
                                   attendees=30, recorded_by=world["staff"])
    importlib.import_module("linli.cases.migrations.0005_night_talks_become_activities").forwards(apps, None)
    old.refresh_from_db()
    occ = old.occurrence
    assert occ is not None and occ.start == held and occ.activity.kind == Activity.Kind.NIGHT_TALK
    assert occ.activity.site.division == world["A"] and occ.activity.title == "十月城市夜话"
    month = timezone.localtime(held).date().replace(day=1)
    assert "十月城市夜话" in [r["title"] for r in activity_selectors.ledger_rows(user=world["staff"], month=month)]


def test_scheduling_a_night_talk_from_the_activity_form(world):
    client = Client()
    client.force_login(world["staff"])
    page = client.get(reverse("activities:activity_create") + "?kind=night_talk").content.decode()
    assert 'value="night_talk" selected' in page
    site = held_night_talk(world, hours_ago=-200).activity.site
    day = timezone.localdate() + dt.timedelta(days=10)
    r = client.post(reverse("activities:activity_create"), {
        "title": "城市夜话", "kind": "night_talk", "site": site.pk, "platform": 1, "method": 1, "date": day.isoformat(),
        "start_time": "19:30", "end_time": "21:00", "recurrence": "once", "capacity": 20, "signup_closes_minutes": 0})
    assert r.status_code == 302
    assert Activity.objects.filter(kind=Activity.Kind.NIGHT_TALK, title="城市夜话", site=site).count() >= 1
