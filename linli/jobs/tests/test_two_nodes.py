"""Stateless app nodes: two gunicorn nodes and two job workers on one PostgreSQL behave as one system.
With clients spread over both nodes at once: residents signing up for the last seats never overfill the
activity, residents booking the same room slot get one confirmed booking, two tutors releasing the same
child release it once; a batch of jobs enqueued meanwhile runs exactly once each.

The nodes listen on LINLI_TEST_NODE_PORTS (two comma-separated ports, default 8104,8114), so two runs of
this test on one machine can use different ports."""

import datetime as dt
import json
import os
import sys
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from linli.accounts.models import Role
from linli.activities.models import Registration
from linli.activities.testing import activity, seed_reference_data
from linli.classroom import services as classroom
from linli.classroom.models import Attendance
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)
from linli.core.testing import PersonFactory, RoomFactory, SiteFactory, UserFactory, grant, open_all_week
from linli.jobs import services
from linli.jobs.models import Job
from linli.places.models import Booking

from .procs import Processes, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PORTS = os.environ.get("LINLI_TEST_NODE_PORTS", "8104,8114").split(",")
NODES = [f"127.0.0.1:{port.strip()}" for port in PORTS]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("two app nodes share PostgreSQL; this runs in the PostgreSQL CI run")


@pytest.fixture
def cluster(tmp_path):
    procs = Processes(tmp_path)
    try:
        for bind in NODES:
            procs.start(sys.executable, "-m", "gunicorn", "linli.wsgi:application", "--bind", bind,
                        "--workers", "2", "--timeout", "60", name=f"node-{bind.rsplit(':', 1)[1]}")
        procs.worker("worker-1")
        procs.worker("worker-2")
        for bind in NODES:
            wait_for(lambda b=bind: _up(b), timeout=60, what=f"node {bind}\n{procs.logs()}")
        yield procs
    finally:
        procs.end_all()


def _up(bind) -> bool:
    try:
        urllib.request.urlopen(f"http://{bind}/accounts/login/", timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def post(bind, path, token, body=None):
    req = urllib.request.Request(f"http://{bind}{path}", data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Authorization": f"Token {token}", "Content-Type": "application/json",
                                          "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_sign_ups_through_two_nodes_never_overfill_and_jobs_run_once_each(cluster, county, make_user, tmp_path):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    seed_reference_data()
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=10).occurrences.get()
    tokens = []
    for _ in range(40):
        user = grant(UserFactory(), Role.Kind.RESIDENT, county["A1"])
        PersonFactory(division=county["A1"], user=user, with_id=False)
        tokens.append(Token.objects.create(user=user).key)
    out = tmp_path / "ran.txt"
    for i in range(30):
        services.enqueue("linli.jobs.testing.append_line", path=str(out), line=f"job{i}")

    barrier = threading.Barrier(len(tokens))
    answers, lock = [], threading.Lock()

    def sign_up(i, token):
        barrier.wait()
        answer = post(NODES[i % 2], f"/api/occurrences/{occ.pk}/register/", token)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=sign_up, args=(i, t)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted({code for code, _ in answers}) == [201], answers
    statuses = [body["status"] for _, body in answers]
    assert statuses.count("confirmed") == 10 and statuses.count("waitlisted") == 30
    assert Registration.objects.filter(occurrence=occ, status="confirmed").count() == 10

    wait_for(lambda: Job.objects.filter(status=Job.Status.DONE).count() == 30, timeout=120,
             what=f"30 jobs done\n{cluster.logs()}")
    names = out.read_text().split()[0::2]
    assert sorted(names) == sorted(f"job{i}" for i in range(30))
    assert {w for w in Job.objects.values_list("worker", flat=True)} <= {"worker-1", "worker-2"}


def _spread(requests):
    """Send each (path, token, body) through node i % 2, all released together; return the answers."""
    barrier = threading.Barrier(len(requests))
    answers, lock = [], threading.Lock()

    def send(i, path, token, body):
        barrier.wait()
        answer = post(NODES[i % 2], path, token, body)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_the_same_room_slot_booked_through_two_nodes_is_confirmed_once(cluster, county):
    site = SiteFactory(division=county["A"])
    open_all_week(site)
    room = RoomFactory(site=site, capacity=20, max_booking_hours=4)
    day = timezone.localdate() + dt.timedelta(days=9)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone()).isoformat()
    end = dt.datetime.combine(day, dt.time(11), tzinfo=timezone.get_current_timezone()).isoformat()
    tokens = [Token.objects.create(user=grant(UserFactory(), Role.Kind.RESIDENT, county["A"])).key for _ in range(12)]
    answers = _spread([("/api/bookings/", t, {"room": room.pk, "start": start, "end": end, "purpose": f"并发{i}"})
                       for i, t in enumerate(tokens)])
    codes = [code for code, _ in answers]
    assert codes.count(201) == 1 and codes.count(400) == 11, answers
    assert Booking.objects.filter(room=room, status=Booking.Status.CONFIRMED).count() == 1


def test_two_tutors_releasing_the_same_child_through_two_nodes_release_once(cluster, county):
    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"]), by=staff)
    e = enrol(program=prog, by=guardian(county["A1"], phone="13912345678"), child_name="王小明",
              pickups=[{"name": "外婆", "relation": "grandparent", "phone": "13800001111"}])
    session = running_session(prog)
    tutors = [tutor(county["A"], by=staff) for _ in range(2)]
    for _user, volunteer in tutors:
        classroom.roster_add(session=session, volunteer=volunteer, by=staff)
    classroom.child_check_in(session=session, enrollment=e, by=tutors[0][0])
    mum, grandma = e.pickups.get(is_guardian=True), e.pickups.get(name="外婆")
    bodies = [{"enrollment": e.pk, "pickup": mum.pk, "phone_last4": "5678"},
              {"enrollment": e.pk, "pickup": grandma.pk, "phone_last4": "1111"}]
    answers = _spread([(f"/api/classroom/sessions/{session.pk}/release/", Token.objects.create(user=user).key, body)
                       for (user, _v), body in zip(tutors, bodies, strict=True)])
    codes = sorted(code for code, _ in answers)
    assert codes == [200, 400], answers
    visit = Attendance.objects.get(enrollment=e)
    assert visit.released_at is not None and visit.released_to in (mum, grandma)
