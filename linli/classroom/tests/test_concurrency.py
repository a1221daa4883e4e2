"""Races proven on PostgreSQL: two tutors releasing (or checking in) the same child at once, and the
last places of a program taken by several guardians at once."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from linli.classroom import services
from linli.classroom.models import Attendance, Enrollment
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency guarantees are proven on PostgreSQL (set DATABASE_URL)")


def _race(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except ValidationError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def running(county):
    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"]), by=staff)
    e = enrol(program=prog, by=guardian(county["A1"], phone="13912345678"), child_name="王小明",
              pickups=[{"name": "外婆", "relation": "grandparent", "phone": "13800001111"}])
    pairs = [tutor(county["A"], by=staff) for _ in range(2)]
    session = running_session(prog)
    for _user, volunteer in pairs:  # both on the session's roster: only rostered tutors reach its children
        services.roster_add(session=session, volunteer=volunteer, by=staff)
    return {"program": prog, "e": e, "tutors": [user for user, _v in pairs], "session": session}


def test_two_tutors_releasing_the_same_child_release_once(running):
    e, tutors = running["e"], running["tutors"]
    services.child_check_in(session=running["session"], enrollment=e, by=tutors[0])
    mum, grandma = e.pickups.get(is_guardian=True), e.pickups.get(name="外婆")
    pairs = [(mum, "5678"), (grandma, "1111")]
    results = _race(2, lambda i: services.child_release(enrollment=e, by=tutors[i], pickup=pairs[i][0],
                                                        phone_last4=pairs[i][1]))
    assert sum(isinstance(r, Attendance) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 1
    visit = Attendance.objects.get(enrollment=e)
    assert visit.released_to in (mum, grandma)


def test_two_tutors_checking_in_the_same_child_check_in_once(running):
    e, tutors = running["e"], running["tutors"]
    results = _race(2, lambda i: services.child_check_in(session=running["session"], enrollment=e, by=tutors[i]))
    assert sum(isinstance(r, Attendance) for r in results) == 1
    assert Attendance.objects.filter(enrollment=e).count() == 1


def test_enrollment_never_exceeds_capacity_under_concurrency(county):
    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"]), by=staff, capacity=3)
    guardians = [guardian(county["A1"], phone=f"1390000{i:04d}") for i in range(8)]
    _race(8, lambda i: enrol(program=prog, by=guardians[i], child_name=f"孩子{i}"))
    assert Enrollment.objects.filter(program=prog, status="active").count() == 3
    assert Enrollment.objects.filter(program=prog, status="waitlisted").count() == 5
