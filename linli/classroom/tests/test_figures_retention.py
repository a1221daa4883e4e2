"""Figures computed from records, and the retention rule: anonymised after the period, figures survive."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.classroom import selectors, services
from linli.classroom.models import (
    Attendance,
    Enrollment,
    Notification,
    PickupPerson,
    ReleaseAttempt,
    RosterEntry,
    Session,
)
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)
from linli.core import stats
from linli.people.models import Person

KEYS = ["programs", "enrolled_children", "sessions", "student_visits", "teacher_volunteers", "tutor_hours",
        "late_pickups"]


@pytest.fixture
def busy(county):
    """Two children, one session with a tutor who served an hour, a self-study visit, a late pick-up."""
    staff = staff_user(county["A"])
    site = classroom_site(county["A"])
    prog = program(site=site, by=staff)
    mum = guardian(county["A1"], phone="13912345678")
    a = enrol(program=prog, by=mum, child_name="甲")
    b = enrol(program=prog, by=guardian(county["A2"], phone="13912340000"), child_name="乙",
              pickups=[{"name": "外婆", "relation": "grandparent", "phone": "13800001111"}])
    tutor_user, volunteer = tutor(county["A"], by=staff)
    session = running_session(prog, started_minutes_ago=60, length_minutes=70)
    entry = services.roster_add(session=session, volunteer=volunteer, by=staff)
    services.tutor_check_in(entry=entry, by=tutor_user)
    RosterEntry.objects.filter(pk=entry.pk).update(checked_in_at=session.start)
    services.child_check_in(session=session, enrollment=a, by=tutor_user)
    services.child_check_in(session=session, enrollment=b, by=tutor_user)
    services.child_release(enrollment=a, by=tutor_user, pickup=a.pickups.get(is_guardian=True), phone_last4="5678")
    with pytest.raises(Exception):  # noqa: B017 - a refused release, logged
        services.child_release(enrollment=b, by=tutor_user, pickup=None, claimed_name="陌生人")
    services.late_pickup_scan(now=session.end + dt.timedelta(hours=1))
    services.child_release(enrollment=b, by=tutor_user, pickup=b.pickups.get(name="外婆"), phone_last4="1111")
    Attendance.objects.update(note="今天作业完成得很好")
    # The session ended; the tutor leaves. Self-study is for days without a session: the session's
    # day moves back one, so today counts as a holiday.
    Session.objects.filter(pk=session.pk).update(date=session.date - dt.timedelta(days=1))
    services.self_study_check_in(site=site, enrollment=a, by=tutor_user)
    services.child_release(enrollment=a, by=tutor_user, pickup=a.pickups.get(is_guardian=True), phone_last4="5678")
    services.tutor_check_out(entry=entry, by=tutor_user)
    return {"staff": staff, "site": site, "program": prog, "a": a, "b": b, "mum": mum, "session": session}


def test_the_figures_count_the_records(busy, county):
    from linli.classroom.models import Session

    Session.objects.filter(pk=busy["session"].pk).update(end=timezone.now() - dt.timedelta(minutes=1))
    f = selectors.figures()
    assert list(f) == KEYS
    assert f["programs"] == 1 and f["enrolled_children"] == 2 and f["sessions"] == 1
    assert f["student_visits"] == 3  # two at the session, one self-study
    assert f["teacher_volunteers"] == 1 and 0.9 < f["tutor_hours"] <= 1.2 and f["late_pickups"] == 1
    assert stats.figures()["classroom"] == f
    # Scoped: staff of community B see none of A's.
    other = staff_user(county["B"])
    assert selectors.figures(other)["student_visits"] == 0
    by_site = selectors.figures_by_site(user=busy["staff"])
    assert by_site[0]["student_visits"] == 3 and by_site[0]["self_study"] == 1


def test_anonymise_after_the_retention_period_keeps_the_figures(busy, settings):
    settings.LINLI_CLASSROOM_RETENTION_DAYS = 365
    before = selectors.figures()
    a, b = busy["a"], busy["b"]
    services.enrollment_leave(enrollment=a, by=busy["staff"], on=timezone.localdate() - dt.timedelta(days=400))
    services.enrollment_leave(enrollment=b, by=busy["staff"], on=timezone.localdate() - dt.timedelta(days=30))
    child_a = a.child_id
    call_command("classroom_anonymise")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.anonymised_at and a.child is None and a.child_name == services.ANONYMISED and a.guardian is None
    assert a.school == "" and a.medical_notes == ""
    assert not Person.objects.filter(pk=child_a).exists()  # registered by the classroom, erased
    assert set(PickupPerson.objects.filter(enrollment=a).values_list("name", "phone")) == {(services.ANONYMISED, "")}
    assert not Attendance.objects.filter(enrollment=a).exclude(note="").exists()
    assert not Attendance.objects.filter(enrollment=a, child__isnull=False).exists()
    assert not Notification.objects.filter(enrollment=a).exists()
    # Not expired yet: untouched.
    assert b.anonymised_at is None and b.child_name == "乙"
    assert ReleaseAttempt.objects.get().claimed_name == "陌生人"
    after = selectors.figures()
    assert {k: after[k] for k in KEYS if k != "enrolled_children"} == \
           {k: before[k] for k in KEYS if k != "enrolled_children"}
    assert after["enrolled_children"] == 0  # both left; counted as enrolled only while enrolled


def test_a_program_whose_term_ended_long_ago_counts_as_left(busy, settings):
    settings.LINLI_CLASSROOM_RETENTION_DAYS = 30
    old = timezone.localdate() - dt.timedelta(days=100)
    from linli.classroom.models import Program

    Program.objects.filter(pk=busy["program"].pk).update(term_start=old - dt.timedelta(days=90), term_end=old)
    assert services.anonymise_expired(dry_run=True) == 2
    assert services.anonymise_expired() == 2
    assert set(Enrollment.objects.values_list("status", "left_on")) == {("left", old)}
    assert services.anonymise_expired() == 0
