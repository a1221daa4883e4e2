# ruff: noqa: F811 - pytest fixtures imported from test_rules are used as arguments
"""Classroom events notify every guardian of the child: checked in, released (to whom), not collected at
closing, and every refused pick-up attempt, at once and at any hour (a safety alert)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from linli.classroom import services
from linli.classroom.models import Attendance, PickupPerson
from linli.classroom.testing import guardian
from linli.classroom.tests.test_rules import _checked_in, english, world  # noqa: F401 - fixtures
from linli.notifications.models import Channel, Delivery, Notification, Preference


@pytest.fixture
def dad(world, county):
    """A second guardian: on the pick-up list as a guardian, with an account on the register (same phone)."""
    user = guardian(county["A1"], phone="13655556666", name="王建国")
    PickupPerson.objects.create(enrollment=world["enrollment"], name="王建国", relation="father",
                                phone="13655556666", is_guardian=True)
    return user


def _got(user, key):
    return list(Notification.objects.filter(recipient=user, key=key))


def test_check_in_tells_every_guardian(world, dad):
    _checked_in(world)
    for user in (world["mum"], dad):
        (n,) = _got(user, "classroom.checked_in")
        assert n.subject == "王小明 已到达东门邻里中心"  # the guardians' language (Chinese by default)


def test_release_says_to_whom(world, dad):
    _checked_in(world)
    services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                           phone_last4="1111")
    (n,) = _got(world["mum"], "classroom.released")
    assert "由王大爷（祖父母）接走" in n.body
    assert _got(dad, "classroom.released")


def test_every_refused_pick_up_alerts_all_guardians_at_once_even_at_night(world, dad):
    Preference.objects.create(user=dad, language="en", quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59))
    _checked_in(world)
    for digits in ("9999", "0000"):
        with pytest.raises(ValidationError):
            services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                                   phone_last4=digits)
    for user in (world["mum"], dad):
        alerts = _got(user, "classroom.refused")
        assert len(alerts) == 2 and all(n.safety for n in alerts)  # every attempt, not once
    alert = _got(dad, "classroom.refused")[0]
    assert "王大爷" in alert.body and "The last four digits do not match" not in alert.body
    assert "Phone digits did not match" in alert.body  # the reason in words, in dad's language
    sms = Delivery.objects.filter(notification__recipient=dad, notification__key="classroom.refused",
                                  channel__in=[Channel.SMS, Channel.CONSOLE])
    assert sms.count() == 2 and not sms.filter(status=Delivery.Status.DEFERRED).exists()  # quiet hours bypassed


def test_a_child_not_collected_at_closing_alerts_guardians_tutors_and_staff_once(world, dad):
    visit = _checked_in(world)
    Attendance.objects.filter(pk=visit.pk).update(closes_at=timezone.now() - dt.timedelta(hours=1))
    services.late_pickup_scan()
    services.late_pickup_scan()
    for user in (world["mum"], dad, world["tutor"], world["staff"]):
        (n,) = _got(user, "classroom.late")
        assert n.subject == "王小明 在东门邻里中心还没有被接走"


def test_a_freed_place_tells_the_waitlisted_childs_guardian(county):
    from linli.classroom.testing import classroom_site, enrol, program, staff_user

    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"]), by=staff, capacity=1)
    first = enrol(program=prog, by=guardian(county["A1"]), child_name="小一")
    waiting_mum = guardian(county["A1"])
    enrol(program=prog, by=waiting_mum, child_name="小二")
    services.enrollment_leave(enrollment=first, by=staff)
    (n,) = _got(waiting_mum, "classroom.place")
    assert n.subject == "小二 获得了四点半课堂的名额"
