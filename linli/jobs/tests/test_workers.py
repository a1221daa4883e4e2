"""Real worker processes (SQLite and PostgreSQL): a worker killed with SIGKILL in the middle of the
register import leaves nothing half-written and its job's retry in another worker imports the ledger
exactly once; a batch of jobs shared by two workers runs once each; a schedule slot runs once with two
workers; `linli worker --processes 2` stops its workers with it."""

import datetime as dt
import os
import signal
import sys
import time

import pytest
from django.utils import timezone

from linli.grids import services as grids
from linli.grids.models import RegisterImport
from linli.grids.tests.conftest import workbook
from linli.jobs import services
from linli.jobs.models import Job, ScheduleSlot
from linli.people.models import Household, Membership, Person

from .procs import Processes, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def procs(tmp_path):
    p = Processes(tmp_path)
    yield p
    p.end_all()


def ledger(n):
    from linli.core import idcard

    return workbook([("网格A1", f"南区{i}号", f"居民{i}", "户主", idcard.make("360724", dt.date(1970, 3, 9), 500 + i),
                      "", "", "", "", "") for i in range(n)])


def counts():
    return Household.objects.count(), Person.objects.count(), Membership.objects.count()


def test_a_worker_killed_mid_import_leaves_nothing_and_the_retry_imports_exactly_once(procs, county, make_user,
                                                                                     settings):
    from linli.grids.models import GridAssignment  # noqa: F401  (the import needs the grids of county A)

    settings.LINLI_GRIDS_IMPORT_INLINE = False
    keeper = make_user("community_staff", county["A"])
    imp, preview = grids.register_import_start(by=keeper, file_name="ledger.xlsx", data=ledger(400))
    assert preview.ok, preview.errors
    before = counts()
    grids.register_import_commit_start(by=keeper, register_import=imp)
    job = Job.objects.get(key=f"grids.import:{imp.pk}")

    first = procs.worker("first")
    wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).exists(), timeout=60,
             what="the first worker to claim the import")
    time.sleep(1.5)  # well inside the rows (400 rows take several seconds)
    procs.stop(first, signal.SIGKILL)
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTING, "the import ended before the kill: make it longer"
    assert counts() == before  # the dead worker's transaction was rolled back: nothing half-written

    procs.worker("second")
    done = wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.DONE).first(), timeout=120,
                    what=f"the retry to finish\n{procs.logs()}")
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED, imp.error
    assert done.attempts == 2 and done.worker == "second"
    assert counts() == (before[0] + 400, before[1] + 400, before[2] + 400)


def test_a_batch_of_jobs_shared_by_two_workers_runs_once_each(procs, tmp_path):
    out = tmp_path / "ran.txt"
    jobs = [services.enqueue("linli.jobs.testing.append_line", path=str(out), line=f"job{i}", sleep=0.3)
            for i in range(40)]
    workers = [procs.worker("a"), procs.worker("b")]
    wait_for(lambda: Job.objects.filter(status=Job.Status.DONE).count() == 40, timeout=120,
             what=f"40 jobs done\n{procs.logs()}")
    for w in workers:
        assert procs.stop(w) == 0  # SIGTERM: a clean stop
    lines = out.read_text().split()
    names = lines[0::2]
    assert sorted(names) == sorted(f"job{i}" for i in range(40))  # every job once, none twice
    assert {j.worker for j in Job.objects.filter(pk__in=[j.pk for j in jobs])} == {"a", "b"}


def test_each_schedule_slot_runs_once_with_two_workers(procs, tmp_path):
    out = tmp_path / "ticks.txt"
    schedule = {"tick": {"task": "linli.jobs.testing.append_line", "every": 1,
                         "params": {"path": str(out), "line": "tick"}},
                "missing": {"task": "linli.nowhere.task", "every": 1}}
    workers = [procs.worker("a", schedule=schedule), procs.worker("b", schedule=schedule)]
    started = timezone.now()
    wait_for(lambda: ScheduleSlot.objects.filter(name="tick").count() >= 4, timeout=60,
             what=f"four slots\n{procs.logs()}")
    for w in workers:
        procs.stop(w)
    slots = ScheduleSlot.objects.filter(name="tick")
    jobs = Job.objects.filter(schedule="tick")
    assert jobs.count() == slots.count() and all(s.job_id for s in slots)
    assert len(out.read_text().splitlines()) == jobs.filter(status=Job.Status.DONE).count()
    assert all(s.slot >= started - dt.timedelta(seconds=1) for s in slots)
    assert not ScheduleSlot.objects.filter(name="missing").exists()  # reported, skipped, no crash


def test_linli_worker_with_two_processes_stops_them_when_it_stops(procs, tmp_path):
    out = tmp_path / "ran.txt"
    for i in range(6):
        services.enqueue("linli.jobs.testing.append_line", path=str(out), line=f"job{i}")
    boss = procs.start(sys.executable, "-m", "linli.cli", "worker", "--processes", "2", name="boss")
    wait_for(lambda: Job.objects.filter(status=Job.Status.DONE).count() == 6, timeout=120,
             what=f"6 jobs done\n{procs.logs()}")
    pids = {int(p) for p in out.read_text().split()[1::2]}
    assert boss.pid not in pids
    assert procs.stop(boss) == 0

    def gone(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(lambda: all(gone(p) for p in pids), timeout=30, what="the worker processes to end")


def test_a_worker_killed_mid_export_leaves_no_file_and_the_retry_records_it_once(procs, county, make_user):
    from django.core.files.storage import default_storage

    from linli.jobs import exports
    from linli.notifications.models import Notification

    staff = make_user("community_staff", county["A"])
    export = exports.export_request(builder="linli.jobs.testing.slow_export", by=staff, title="slow",
                                    params={"seconds": 8})
    first = procs.worker("first")
    wait_for(lambda: Job.objects.filter(pk=export.job_id, status=Job.Status.RUNNING, progress__gte=20).exists(),
             timeout=60, what="the first worker to be part way through the export")
    procs.stop(first, signal.SIGKILL)
    export.refresh_from_db()
    assert not export.is_ready and not default_storage.exists(f"exports/{export.token}/slow.csv")

    procs.worker("second")
    done = wait_for(lambda: Job.objects.filter(pk=export.job_id, status=Job.Status.DONE).first(), timeout=120,
                    what=f"the retry to finish\n{procs.logs()}")
    export.refresh_from_db()
    assert done.attempts == 2 and done.worker == "second"
    assert export.is_ready and default_storage.open(export.file_name).read().startswith(staff.username.encode())
    assert Notification.objects.filter(recipient=staff, key="export.ready").count() == 1
