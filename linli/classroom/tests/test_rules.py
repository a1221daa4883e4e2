"""The classroom's safety rules, one behaviour per test."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from linli.classroom import selectors, services
from linli.classroom.models import (
    Attendance,
    BackgroundCheck,
    Enrollment,
    LateAlert,
    Notification,
    PickupPerson,
    ReleaseAttempt,
    RosterEntry,
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
from linli.people.models import Person
from linli.volunteers.models import ServiceRecord


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English here; one test checks they are translated."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(county):
    staff = staff_user(county["A"])
    site = classroom_site(county["A"], name="东门邻里中心")
    prog = program(site=site, by=staff)
    mum = guardian(county["A1"], phone="13912345678")
    e = enrol(program=prog, by=mum, child_name="王小明",
              pickups=[{"name": "王大爷", "relation": "grandparent", "phone": "13800001111"}])
    tutor_user, volunteer = tutor(county["A"], by=staff)
    session = running_session(prog)
    services.roster_add(session=session, volunteer=volunteer, by=staff)
    return {"staff": staff, "site": site, "program": prog, "mum": mum, "enrollment": e, "tutor": tutor_user,
            "volunteer": volunteer, "session": session,
            "grandpa": e.pickups.get(name="王大爷"), "mum_pickup": e.pickups.get(is_guardian=True)}


def _checked_in(w):
    return services.child_check_in(session=w["session"], enrollment=w["enrollment"], by=w["tutor"])


# Enrollment ---------------------------------------------------------------------------------------

def test_enrollment_without_consent_is_refused_and_nothing_recorded(county):
    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"]), by=staff)
    mum = guardian(county["A1"], phone="13912345678")
    persons = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        enrol(program=prog, by=mum, consent=False)
    assert "consent" in exc.value.message_dict
    assert Enrollment.objects.count() == 0 and PickupPerson.objects.count() == 0
    assert Person.objects.count() == persons


def test_enrollment_records_consent_and_puts_the_guardian_on_the_list(world):
    e = world["enrollment"]
    assert e.status == Enrollment.Status.ACTIVE and e.consent_at and e.consent_by == world["mum"]
    assert e.consent_version == services.CONSENT_VERSION
    assert set(e.pickups.values_list("name", "is_guardian")) == {("李芳", True), ("王大爷", False)}
    assert e.child.id_number_encrypted == ""  # the classroom never asks for a child's ID number


def test_enrollment_outside_the_age_range_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        enrol(program=world["program"], by=world["mum"], child_name="小宝",
              birth_date=timezone.localdate() - dt.timedelta(days=3 * 365))
    assert "birth_date" in exc.value.message_dict


def test_a_full_program_waitlists_and_a_freed_place_goes_to_the_earliest(county):
    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"]), by=staff, capacity=1)
    first = enrol(program=prog, by=guardian(county["A1"], phone="13900000001"), child_name="甲")
    second = enrol(program=prog, by=guardian(county["A1"], phone="13900000002"), child_name="乙")
    third = enrol(program=prog, by=guardian(county["A1"], phone="13900000003"), child_name="丙")
    assert [first.status, second.status, third.status] == ["active", "waitlisted", "waitlisted"]
    services.enrollment_leave(enrollment=first, by=staff)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == "active" and third.status == "waitlisted"
    assert Notification.objects.filter(enrollment=second, kind=Notification.Kind.PLACE).exists()


def test_enrolling_the_same_child_twice_is_refused(world):
    child = world["enrollment"].child
    with pytest.raises(ValidationError):
        services.enrollment_create(program=world["program"], by=world["staff"], consent=True, child=child,
                                   guardian=world["enrollment"].guardian)


# Tutors -------------------------------------------------------------------------------------------

def test_rostering_a_tutor_without_a_background_check_is_refused(world, county):
    _, unchecked = tutor(county["A"], by=world["staff"], checked=False)
    with pytest.raises(ValidationError) as exc:
        services.roster_add(session=world["session"], volunteer=unchecked, by=world["staff"])
    assert "background check" in exc.value.message_dict["volunteer"][0]
    assert not RosterEntry.objects.filter(volunteer=unchecked).exists()


def test_refusals_are_translated(world, county):
    _, unchecked = tutor(county["A"], by=world["staff"], checked=False)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.roster_add(session=world["session"], volunteer=unchecked, by=world["staff"])
    assert "背景核查" in exc.value.message_dict["volunteer"][0]


def test_an_expired_or_adverse_check_does_not_count(world, county):
    staff = world["staff"]
    _, expired = tutor(county["A"], by=staff, checked=False)
    today = timezone.localdate()
    services.background_check_record(volunteer=expired, by=staff, checked_on=today - dt.timedelta(days=800),
                                      valid_until=today - dt.timedelta(days=1))
    _, adverse = tutor(county["A"], by=staff, checked=False)
    services.background_check_record(volunteer=adverse, by=staff, checked_on=today,
                                      result=BackgroundCheck.Result.NOT_CLEAR)
    for v in (expired, adverse):
        with pytest.raises(ValidationError):
            services.roster_add(session=world["session"], volunteer=v, by=staff)
    assert RosterEntry.objects.filter(volunteer__in=[expired, adverse]).count() == 0


def test_a_check_records_date_and_who(world):
    check = world["volunteer"].classroom_checks.get()
    assert check.checked_by == world["staff"] and check.checked_on and check.valid_until > check.checked_on


def test_only_staff_record_background_checks(world):
    with pytest.raises(PermissionDenied):
        services.background_check_record(volunteer=world["volunteer"], by=world["tutor"],
                                          checked_on=timezone.localdate())


def test_tutor_hours_flow_into_a_pending_classroom_service_record(world):
    entry = RosterEntry.objects.get(session=world["session"], volunteer=world["volunteer"])
    services.tutor_check_in(entry=entry, by=world["tutor"])
    RosterEntry.objects.filter(pk=entry.pk).update(checked_in_at=world["session"].start)
    record = services.tutor_check_out(entry=entry, by=world["tutor"])
    assert record.source == ServiceRecord.Source.CLASSROOM and record.status == ServiceRecord.Status.PENDING
    assert record.get_source_display() == "Four-thirty classroom session"
    assert record.volunteer == world["volunteer"] and Decimal("0.1") < record.hours <= Decimal("2")
    entry.refresh_from_db()
    assert entry.service_record == record and entry.hours == record.hours


def test_tutor_hours_go_through_the_volunteers_door(world, monkeypatch):
    from linli.volunteers import services as volunteer_services

    door, calls = volunteer_services.service_record_from, []

    def spy(**kw):
        calls.append(kw)
        return door(**kw)

    monkeypatch.setattr(volunteer_services, "service_record_from", spy)
    entry = RosterEntry.objects.get(session=world["session"], volunteer=world["volunteer"])
    services.tutor_check_in(entry=entry, by=world["tutor"])
    record = services.tutor_check_out(entry=entry, by=world["tutor"])
    assert [(c["source"], c["volunteer"]) for c in calls] == [(ServiceRecord.Source.CLASSROOM, world["volunteer"])]
    assert list(ServiceRecord.objects.all()) == [record]


def test_a_tutor_checked_out_twice_earns_one_record(world):
    entry = RosterEntry.objects.get(session=world["session"], volunteer=world["volunteer"])
    services.tutor_check_in(entry=entry, by=world["tutor"])
    services.tutor_check_out(entry=entry, by=world["tutor"])
    with pytest.raises(ValidationError):
        services.tutor_check_out(entry=entry, by=world["staff"])
    assert ServiceRecord.objects.filter(volunteer=world["volunteer"]).count() == 1


def test_the_last_tutor_cannot_leave_while_children_are_there(world):
    entry = RosterEntry.objects.get(session=world["session"])
    services.tutor_check_in(entry=entry, by=world["tutor"])
    _checked_in(world)
    with pytest.raises(ValidationError):
        services.tutor_check_out(entry=entry, by=world["tutor"])
    assert not ServiceRecord.objects.exists()


# Check-in -----------------------------------------------------------------------------------------

def test_check_in_of_a_child_not_enrolled_is_refused(world, county):
    other = program(site=classroom_site(county["A"]), by=world["staff"], name="另一个课堂")
    stranger = enrol(program=other, by=guardian(county["A2"], phone="13900000009"), child_name="外班")
    with pytest.raises(ValidationError) as exc:
        services.child_check_in(session=world["session"], enrollment=stranger, by=world["tutor"])
    assert "not enrolled" in exc.value.messages[0]
    assert not Attendance.objects.exists()


def test_check_in_of_a_child_who_left_is_refused(world):
    services.enrollment_leave(enrollment=world["enrollment"], by=world["mum"])
    with pytest.raises(ValidationError):
        _checked_in(world)
    assert not Attendance.objects.exists()


def test_double_check_in_is_refused(world):
    _checked_in(world)
    with pytest.raises(ValidationError) as exc:
        _checked_in(world)
    assert "already" in exc.value.messages[0]
    assert Attendance.objects.count() == 1


def test_check_in_tells_the_guardian(world):
    _checked_in(world)
    n = Notification.objects.get(user=world["mum"], kind=Notification.Kind.CHECK_IN)
    assert "王小明" in n.subject


def test_someone_without_a_desk_role_cannot_check_children_in(world):
    with pytest.raises(PermissionDenied):
        services.child_check_in(session=world["session"], enrollment=world["enrollment"], by=world["mum"])
    assert not Attendance.objects.exists()


def test_a_rostered_volunteer_without_a_tutor_role_may_run_their_session(world, county):
    user, volunteer = tutor(county["A"], by=world["staff"], role=False)
    services.roster_add(session=world["session"], volunteer=volunteer, by=user)
    assert services.child_check_in(session=world["session"], enrollment=world["enrollment"], by=user)


# Release ------------------------------------------------------------------------------------------

def test_release_before_check_in_is_refused_and_nothing_recorded(world):
    with pytest.raises(ValidationError) as exc:
        services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                               phone_last4="1111")
    assert "not checked in" in exc.value.messages[0]
    assert not Attendance.objects.exists()


def test_release_to_an_authorised_person_with_the_right_digits(world):
    _checked_in(world)
    visit = services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                                   phone_last4="1111")
    assert visit.released_at and visit.released_to == world["grandpa"] and visit.released_by == world["tutor"]
    assert visit.release_method == Attendance.Method.PHONE
    assert Notification.objects.filter(user=world["mum"], kind=Notification.Kind.RELEASE).exists()
    assert not ReleaseAttempt.objects.exists()


def test_release_with_wrong_digits_is_refused_logged_and_the_child_stays(world):
    visit = _checked_in(world)
    with pytest.raises(ValidationError) as exc:
        services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                               phone_last4="9999")
    assert "phone_last4" in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.released_at is None and visit.released_to is None
    attempt = ReleaseAttempt.objects.get()
    assert attempt.reason == ReleaseAttempt.Reason.WRONG_PHONE and attempt.attempted_by == world["tutor"]


def test_release_to_someone_not_on_the_list_is_refused_and_logged(world, county):
    visit = _checked_in(world)
    other = enrol(program=world["program"], by=guardian(county["A2"], phone="13700000000"), child_name="邻居家",
                  pickups=[{"name": "陌生人", "relation": "other", "phone": "13600002222"}])
    strangers_pickup = other.pickups.get(name="陌生人")
    for kwargs in ({"pickup": strangers_pickup, "phone_last4": "2222"},
                   {"pickup": None, "claimed_name": "自称舅舅"}):
        with pytest.raises(ValidationError) as exc:
            services.child_release(enrollment=world["enrollment"], by=world["tutor"], **kwargs)
        assert "pickup" in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.released_at is None
    attempts = ReleaseAttempt.objects.order_by("pk")
    assert [a.reason for a in attempts] == ["not_listed", "not_listed"]
    assert attempts[1].claimed_name == "自称舅舅"
    # Staff see them on their page.
    assert set(selectors.release_attempts(user=world["staff"])) == set(attempts)


def test_release_by_the_guardians_qr_code_and_a_withdrawn_code_fails(world):
    _checked_in(world)
    services.pickup_withdraw(pickup=world["grandpa"], by=world["mum"])
    old_token = PickupPerson.objects.get(pk=world["grandpa"].pk).token
    with pytest.raises(ValidationError):
        services.child_release(enrollment=world["enrollment"], by=world["tutor"], token=world["grandpa"].token)
    with pytest.raises(ValidationError):
        services.child_release(enrollment=world["enrollment"], by=world["tutor"], token=old_token)
    assert ReleaseAttempt.objects.filter(reason="bad_code").count() == 2
    visit = services.child_release(enrollment=world["enrollment"], by=world["tutor"],
                                   token=world["mum_pickup"].token)
    assert visit.released_to == world["mum_pickup"] and visit.release_method == "qr"


def test_self_release_needs_the_guardians_consent(world):
    visit = _checked_in(world)
    with pytest.raises(ValidationError):
        services.child_release(enrollment=world["enrollment"], by=world["tutor"], self_release=True)
    visit.refresh_from_db()
    assert visit.released_at is None
    assert ReleaseAttempt.objects.get().reason == "no_consent"
    services.self_release_set(enrollment=world["enrollment"], by=world["mum"], allowed=True)
    visit = services.child_release(enrollment=world["enrollment"], by=world["tutor"], self_release=True)
    assert visit.released_at and visit.released_to is None and visit.release_method == "self"


def test_only_the_guardian_gives_self_release_consent(world):
    with pytest.raises(PermissionDenied):
        services.self_release_set(enrollment=world["enrollment"], by=world["staff"], allowed=True)


def test_the_database_refuses_a_release_without_a_person_or_consent(world):
    visit = _checked_in(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.filter(pk=visit.pk).update(released_at=timezone.now())


def test_an_unauthorised_user_trying_to_release_is_refused_and_logged(world):
    _checked_in(world)
    with pytest.raises(PermissionDenied):
        services.child_release(enrollment=world["enrollment"], by=world["mum"], pickup=world["mum_pickup"],
                               phone_last4="5678")
    assert ReleaseAttempt.objects.get().reason == "not_allowed"
    assert Attendance.objects.get().released_at is None


def test_a_released_child_cannot_be_released_again(world):
    _checked_in(world)
    services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                           phone_last4="1111")
    with pytest.raises(ValidationError):
        services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["mum_pickup"],
                               phone_last4="5678")
    assert Attendance.objects.get().released_to == world["grandpa"]


# Late pick-up -------------------------------------------------------------------------------------

def test_a_child_still_here_after_closing_raises_one_alert_and_notifies(world):
    visit = _checked_in(world)
    Notification.objects.all().delete()
    later = world["session"].end + dt.timedelta(minutes=30)
    assert services.late_pickup_scan(now=world["session"].end) == []
    alerts = services.late_pickup_scan(now=later)
    assert [a.attendance for a in alerts] == [visit]
    told = set(Notification.objects.filter(kind=Notification.Kind.LATE).values_list("user", flat=True))
    assert {world["mum"].pk, world["staff"].pk, world["tutor"].pk} <= told
    assert services.late_pickup_scan(now=later) == []  # once per visit
    services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                           phone_last4="1111")
    assert LateAlert.objects.get().resolved_at is not None


def test_the_late_pickup_command_runs(world, capsys):
    from django.core.management import call_command

    visit = _checked_in(world)
    Attendance.objects.filter(pk=visit.pk).update(closes_at=timezone.now() - dt.timedelta(hours=1))
    call_command("classroom_late_pickup_scan")
    assert "1 late pick-up alerts raised" in capsys.readouterr().out


# Self-study ---------------------------------------------------------------------------------------

def _holiday(w):
    """Today becomes a school holiday: no session of the site's programs planned today. The tutor's
    session moves to next week, so they still tutor at the site (and keep its self-study desk)."""
    type(w["session"]).objects.filter(pk=w["session"].pk).update(date=timezone.localdate() + dt.timedelta(days=7))


def test_self_study_visit_counts_and_is_released_like_any_other(world):
    _holiday(world)
    visit = services.self_study_check_in(site=world["site"], enrollment=world["enrollment"], by=world["tutor"])
    assert visit.kind == "self_study" and visit.session is None
    services.child_release(enrollment=world["enrollment"], by=world["tutor"], pickup=world["grandpa"],
                           phone_last4="1111")
    assert selectors.figures()["student_visits"] == 1


def test_self_study_refused_when_the_site_is_closed(world):
    _holiday(world)
    world["site"].opening_hours.all().delete()
    with pytest.raises(ValidationError):
        services.self_study_check_in(site=world["site"], enrollment=world["enrollment"], by=world["tutor"])
    assert not Attendance.objects.exists()


def test_a_weekday_with_a_session_is_no_self_study_day(world):
    """Weekdays with a session are class days; self-study is for weekends and holidays."""
    today = timezone.localdate()
    wednesday = today + dt.timedelta(days=(2 - today.weekday()) % 7 or 7)
    saturday = wednesday + dt.timedelta(days=3)
    type(world["session"]).objects.filter(pk=world["session"].pk).update(date=wednesday)
    assert not services.is_self_study_day(world["site"], wednesday)
    assert services.is_self_study_day(world["site"], wednesday + dt.timedelta(days=7))  # a holiday week
    assert services.is_self_study_day(world["site"], saturday)


def test_self_study_check_in_is_refused_on_a_session_day(world):
    today = timezone.localdate()
    if services.is_self_study_day(world["site"], today):  # a weekend: nothing to refuse today
        # The session a week back: the tutor stays on a roster at the site these weeks (the desk's
        # rule), and today has no session (deleting it took the tutor off every roster: a weekend failure).
        type(world["session"]).objects.filter(pk=world["session"].pk).update(date=today - dt.timedelta(days=7))
        assert services.is_self_study_day(world["site"], today)
        assert services.self_study_check_in(site=world["site"], enrollment=world["enrollment"], by=world["tutor"])
        return
    with pytest.raises(ValidationError, match="weekends and holidays"):
        services.self_study_check_in(site=world["site"], enrollment=world["enrollment"], by=world["tutor"])


def test_a_child_checked_in_to_self_study_cannot_join_a_session_at_once(world):
    _holiday(world)
    services.self_study_check_in(site=world["site"], enrollment=world["enrollment"], by=world["tutor"])
    session = running_session(world["program"])
    services.roster_add(session=session, volunteer=world["volunteer"], by=world["staff"])
    with pytest.raises(ValidationError):  # one visit open at a time
        services.child_check_in(session=session, enrollment=world["enrollment"], by=world["tutor"])


# Visibility ---------------------------------------------------------------------------------------

def test_a_guardian_sees_only_their_own_children(world, county):
    other_mum = guardian(county["A1"], phone="13700000001")
    theirs = enrol(program=world["program"], by=other_mum, child_name="别人家")
    assert list(Enrollment.objects.visible_to(world["mum"])) == [world["enrollment"]]
    assert list(Enrollment.objects.visible_to(other_mum)) == [theirs]
    assert not Attendance.objects.visible_to(other_mum).filter(enrollment=world["enrollment"]).exists()


def test_a_tutor_sees_the_sessions_of_their_site_and_rostered_ones_only(world, county):
    b_staff = staff_user(county["B"])
    b_prog = program(site=classroom_site(county["B"]), by=b_staff)
    b_session = running_session(b_prog)
    assert world["session"] in selectors.visible_sessions(user=world["tutor"])
    assert b_session not in selectors.visible_sessions(user=world["tutor"])
    assert b_session in selectors.visible_sessions(user=b_staff)


def test_the_migration_relabels_only_hours_linked_to_a_roster_entry(world):
    import importlib

    from django.apps import apps

    entry = RosterEntry.objects.get(session=world["session"], volunteer=world["volunteer"])
    services.tutor_check_in(entry=entry, by=world["tutor"])
    record = services.tutor_check_out(entry=entry, by=world["tutor"])
    ServiceRecord.objects.filter(pk=record.pk).update(source=ServiceRecord.Source.CHECKIN)  # as written before
    now = timezone.now()
    shift_hours = ServiceRecord.objects.create(  # a shift's check-out record, not the classroom's
        volunteer=world["volunteer"], content="文明交通劝导 · 引导员", start=now - dt.timedelta(hours=2), end=now,
        hours=Decimal("2"), source=ServiceRecord.Source.CHECKIN, recorded_by=world["tutor"])
    importlib.import_module("linli.classroom.migrations.0002_classroom_hours_source").relabel(apps, None)
    assert ServiceRecord.objects.get(pk=record.pk).source == ServiceRecord.Source.CLASSROOM
    assert ServiceRecord.objects.get(pk=shift_hours.pk).source == ServiceRecord.Source.CHECKIN
