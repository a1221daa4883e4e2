"""The schedule: slots aligned to the clock, daily slots at a local time, a time window, one job per
slot however often (or by however many workers) it is ticked, and a missing task reported by
`linli jobs` and the system check rather than crashing anything."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command

from linli.jobs import checks, schedule
from linli.jobs.models import Job, ScheduleSlot
from linli.jobs.testing import run_queued

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(h, m, s=0, day=2):
    return dt.datetime(2026, 12, day, h, m, s, tzinfo=SH)


def entry(**spec):
    return schedule.Entry(name="e", task="linli.jobs.testing.touch_nothing_scheduled", **spec)


def test_every_minute_slots_start_on_the_minute():
    e = entry(every=dt.timedelta(minutes=1))
    assert schedule.slot_of(e, at(16, 30, 59)) == at(16, 30) and schedule.slot_of(e, at(16, 31, 0)) == at(16, 31)


def test_a_window_leaves_no_slot_outside_it():
    e = entry(every=dt.timedelta(minutes=1), hours=(dt.time(11), dt.time(22)))
    assert schedule.slot_of(e, at(10, 59)) is None and schedule.slot_of(e, at(22, 0)) is None
    assert schedule.slot_of(e, at(21, 59, 30)) == at(21, 59)
    assert schedule.next_slot(e, at(23, 0)) == at(11, 0, day=3)


def test_a_daily_slot_is_todays_once_its_time_has_come_else_yesterdays():
    e = entry(at=dt.time(2, 30))
    assert schedule.slot_of(e, at(2, 29)) == at(2, 30, day=1)
    assert schedule.slot_of(e, at(2, 30)) == at(2, 30)
    assert schedule.next_slot(e, at(9, 0)) == at(2, 30, day=3)


@pytest.mark.django_db
def test_ticking_one_slot_again_and_again_makes_one_job(settings):
    settings.LINLI_SCHEDULE = {"e": {"task": "linli.jobs.testing.touch_nothing_scheduled", "every": 60}}
    now = at(16, 30, 5)
    made = schedule.tick(seen={}, now=now)
    for second in (10, 20, 59):  # other workers, each with its own memory
        made += schedule.tick(seen={}, now=at(16, 30, second))
    assert len(made) == 1 and ScheduleSlot.objects.get().slot == at(16, 30)
    assert made[0].schedule == "e" and made[0].status == Job.Status.QUEUED
    made += schedule.tick(seen={}, now=at(16, 31, 1))
    assert len(made) == 2
    assert [j.status for j in run_queued()] == ["done", "done"]


@pytest.mark.django_db
def test_a_missing_task_is_reported_and_skipped_not_a_crash(settings):
    settings.LINLI_SCHEDULE = {"typo": {"task": "linli.classroom.services.no_such_scan", "every": 60},
                               "broken": {"task": "x.y", "every": 60, "at": "02:00"},
                               "off": None}
    assert schedule.tick(seen={}) == [] and not ScheduleSlot.objects.exists()
    ids = sorted(w.id for w in checks.schedule_check())
    assert ids == ["jobs.W001", "jobs.W002"]
    out = io.StringIO()
    call_command("jobs", stdout=out)
    text = out.getvalue()
    assert "typo" in text and "MISSING" in text and "UNREADABLE: broken" in text


@pytest.mark.django_db
def test_the_default_schedule_resolves():
    items, problems = schedule.entries()
    assert problems == [] and {e.name: e.problem() for e in items if e.problem()} == {}
    assert {"classroom_late_pickup_scan", "shift_reminders", "classroom_retention",
            "coverage_stale_runs"} <= {e.name for e in items}


@pytest.mark.django_db
def test_the_default_schedule_holds_every_periodic_work_of_issue_12():
    """Late pick-ups every minute in classroom hours, shift and activity reminders, overdue cases and
    care visits each morning, retention nightly, stale coverage runs, rollups, deliveries, pruning."""
    by_task = {e.task: e for e in schedule.entries()[0]}
    late = by_task["linli.classroom.services.late_pickup_scan"]
    assert late.every == dt.timedelta(minutes=1) and late.hours is not None
    for task in ("linli.volunteers.services.shift_reminders_send", "linli.activities.services.activity_reminders_send",
                 "linli.coverage.services.coverage_runs_interrupt_stale", "linli.core.rollups.refresh_changed",
                 "linli.notifications.services.deliveries_send_due"):
        assert by_task[task].every is not None and by_task[task].every <= dt.timedelta(hours=1), task
    for task in ("linli.cases.services.cases_overdue_notify", "linli.grids.services.care_visits_overdue_notify"):
        assert dt.time(6) <= by_task[task].at <= dt.time(10), task  # each morning
    for task in ("linli.classroom.services.anonymise_expired", "linli.jobs.services.jobs_prune",
                 "linli.core.rollups.refresh_all"):  # the full rebuild; the changed scopes every 5 minutes
        assert by_task[task].at < dt.time(6), task  # nightly
