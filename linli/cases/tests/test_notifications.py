"""A service order's steps notify the resident and the volunteer; overdue cases tell their owners once a day."""

import datetime as dt

from django.utils import timezone

from linli.cases import services
from linli.cases.models import Case, Kind
from linli.cases.tests.conftest import new_case
from linli.notifications.models import Notification


def _keys(user):
    return [n.key for n in Notification.objects.filter(recipient=user).order_by("pk")]


def test_an_orders_steps_notify_the_resident_and_the_volunteer(world):
    resident, vol_user, staff = world["resident"], world["vol_user"], world["staff"]
    case = new_case(world)
    services.case_dispatch(case=case, by=staff, volunteer=world["volunteer"])
    services.case_accept(case=case, by=vol_user)
    services.case_complete(case=case, by=vol_user, report="米和油已送到家。")
    services.case_rate(case=case, by=resident, rating=5, comment="很及时")
    assert _keys(resident) == ["case.dispatched", "case.accepted", "case.done"]
    assert _keys(vol_user) == ["case.offered", "case.rated"]
    done = Notification.objects.get(recipient=resident, key="case.done")
    assert done.subject == f"您的诉求 {case.number} 已办结，请评价" and "米和油已送到家" in done.body
    assert done.link == case.get_absolute_url()
    rated = Notification.objects.get(recipient=vol_user, key="case.rated")
    assert rated.subject == f"订单 {case.number} 获得 5 星评价（满分 5 星）" and "很及时" in rated.body


def test_an_order_dispatched_to_a_team_is_offered_to_its_volunteers_in_the_community(world):
    case = new_case(world)
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    assert _keys(world["vol_user"]) == ["case.offered"]
    assert _keys(world["other_vol_user"]) == []  # the same team in community B is not asked


def test_when_staff_accept_and_report_done_for_the_volunteer_the_volunteer_is_told_too(world):
    resident, vol_user, staff = world["resident"], world["vol_user"], world["staff"]
    case = new_case(world)
    services.case_dispatch(case=case, by=staff, volunteer=world["volunteer"])
    services.case_accept(case=case, by=staff)
    services.case_complete(case=case, by=staff, report="已电话确认送达。")
    assert _keys(resident) == ["case.dispatched", "case.accepted", "case.done"]
    assert _keys(vol_user) == ["case.offered", "case.taken", "case.completed"]
    done = Notification.objects.get(recipient=vol_user, key="case.completed")
    assert done.subject == f"订单 {case.number} 已报告办结" and "已电话确认送达" in done.body
    assert _keys(staff) == []  # the one who acted is not told of their own step


def test_a_team_order_taken_by_one_volunteer_tells_the_team_mates_it_was_offered_to(world, make_user):
    from linli.accounts.models import Role
    from linli.core.testing import PersonFactory
    from linli.volunteers.models import Volunteer

    mate_user = make_user(Role.Kind.VOLUNTEER, world["A"])
    mate = Volunteer.objects.create(person=PersonFactory(division=world["A"], user=mate_user), division=world["A"],
                                    number="SY-T-3")
    mate.teams.add(world["team"])
    case = new_case(world)
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    services.case_accept(case=case, by=world["vol_user"])
    assert _keys(mate_user) == ["case.offered", "case.taken"]
    assert _keys(world["vol_user"]) == ["case.offered"]  # who took it is not told of it


def test_a_refused_step_notifies_nobody(world):
    case = new_case(world)
    try:
        services.case_accept(case=case, by=world["vol_user"])  # not dispatched yet
    except Exception:  # noqa: BLE001 - the refusal itself is tested in test_rules
        pass
    assert _keys(world["resident"]) == []


def test_overdue_cases_tell_their_handler_once_a_day(world):
    staff, staff2 = world["staff"], world["staff2"]
    handled = new_case(world, kind=Kind.CONCERN)
    services.case_dispatch(case=handled, by=staff, assignee=staff2)
    unhandled = new_case(world)
    Case.objects.filter(pk__in=[handled.pk, unhandled.pk]).update(due_at=timezone.now() - dt.timedelta(hours=3))
    assert services.cases_overdue_notify() == 2  # the handler, and A's two staff for the unhandled one
    mine = Notification.objects.get(recipient=staff2, key="cases.overdue")
    assert mine.subject == "超期未办结的事项：2 件"  # staff2 handles one and is A's staff for the other
    assert Notification.objects.get(recipient=staff, key="cases.overdue").subject == "超期未办结的事项：1 件"
    assert services.cases_overdue_notify() == 0
    assert not Notification.objects.filter(recipient=world["staff_b"]).exists()
