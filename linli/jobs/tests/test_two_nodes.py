"""Stateless app nodes: two gunicorn nodes (ports 8104 and 8114) and two job workers on one
PostgreSQL behave as one system. Residents signing up for the last seats through both nodes at once
never overfill the activity; a batch of jobs enqueued meanwhile runs exactly once each."""

import json
import sys
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from linli.accounts.models import Role
from linli.activities.models import Registration
from linli.activities.testing import activity, seed_reference_data
from linli.core.testing import PersonFactory, SiteFactory, UserFactory, grant
from linli.jobs import services
from linli.jobs.models import Job

from .procs import Processes, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NODES = ["127.0.0.1:8104", "127.0.0.1:8114"]


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


def post(bind, path, token):
    req = urllib.request.Request(f"http://{bind}{path}", data=b"{}", method="POST",
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
