"""The rules of activities: series, capacity and waitlist, sign-up window, check-in, reviews, bad input."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities import selectors, services
from linli.activities.models import Activity, Delivery, Method, Occurrence, Platform, Registration
from linli.activities.testing import activity, future, resident, shift_to
from linli.core.testing import PersonFactory, RoomFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"])


@pytest.fixture
def site(county):
    return SiteFactory(division=county["A"])


def occ_of(act) -> Occurrence:
    return act.occurrences.get()


def sign(occ, user):
    return services.registration_create(occurrence=occ, person=user.person, by=user)


def test_taxonomy_is_data_seeded_with_the_365_format_and_six_deliveries():
    assert Platform.objects.count() == 6
    assert Method.objects.count() == 5
    assert list(Delivery.objects.values_list("name", flat=True)) == ["送服务", "送教育", "送健康", "送平安", "送法援", "送关爱"]
    Platform.objects.create(code="local", name="县定平台")  # a county extends the taxonomy
    assert Platform.objects.count() == 7


def test_monthly_series_keeps_the_same_weekday_of_the_month():
    # 2026-12-10 is the 2nd Thursday of December.
    dates = services.series_dates(first=dt.date(2026, 12, 10), recurrence="monthly", until=dt.date(2027, 3, 31))
    assert dates == [dt.date(2026, 12, 10), dt.date(2027, 1, 14), dt.date(2027, 2, 11), dt.date(2027, 3, 11)]
    assert all(d.weekday() == 3 for d in dates)


def test_monthly_series_skips_months_without_a_fifth_weekday():
    dates = services.series_dates(first=dt.date(2026, 12, 29), recurrence="monthly", until=dt.date(2027, 4, 30))
    assert dates == [dt.date(2026, 12, 29), dt.date(2027, 3, 30)]


def test_weekly_series_creates_an_occurrence_per_week(staff, site):
    start = future(24)
    act = activity(by=staff, site=site, start=start, recurrence="weekly",
                   until=timezone.localtime(start).date() + dt.timedelta(weeks=3))
    occs = list(act.occurrences.order_by("start"))
    assert len(occs) == 4
    assert {timezone.localtime(o.start).time() for o in occs} == {timezone.localtime(start).time()}
    assert len({o.checkin_token for o in occs}) == 4


def test_one_occurrence_can_be_changed_alone(staff, site):
    start = future(24)
    act = activity(by=staff, site=site, start=start, recurrence="weekly",
                   until=timezone.localtime(start).date() + dt.timedelta(weeks=2))
    first, second, third = act.occurrences.order_by("start")
    services.occurrence_update(occurrence=second, by=staff, start=second.start + dt.timedelta(hours=2),
                               end=second.end + dt.timedelta(hours=2))
    services.occurrence_cancel(occurrence=third, by=staff, reason="雨天")
    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert second.is_modified and second.start - first.start == dt.timedelta(days=7, hours=2)
    assert third.status == Occurrence.Status.CANCELLED
    assert first.status == Occurrence.Status.SCHEDULED and not first.is_modified


def test_cancelling_the_series_cancels_every_future_occurrence(staff, site):
    start = future(24)
    act = activity(by=staff, site=site, start=start, recurrence="weekly",
                   until=timezone.localtime(start).date() + dt.timedelta(weeks=2))
    assert services.activity_cancel(activity=act, by=staff, reason="场地维修") == 3
    assert not act.occurrences.filter(status=Occurrence.Status.SCHEDULED).exists()


def test_series_longer_than_a_year_is_refused(staff, site):
    with pytest.raises(ValidationError) as e:
        activity(by=staff, site=site, recurrence="weekly", until=timezone.localdate() + dt.timedelta(days=400))
    assert "until" in e.value.message_dict
    assert not Activity.objects.exists()


def test_only_organisers_of_the_community_create_activities(county, make_user, site):
    other = make_user(Role.Kind.COMMUNITY_STAFF, county["B"])
    with pytest.raises(PermissionDenied):
        activity(by=other, site=site)
    with pytest.raises(PermissionDenied):
        activity(by=resident(county["A1"]), site=site)


def test_room_capacity_limits_seats(staff, site):
    room = RoomFactory(site=site, capacity=20)
    with pytest.raises(ValidationError) as e:
        activity(by=staff, site=site, room=room, capacity=30)
    assert "capacity" in e.value.message_dict


def test_registration_never_exceeds_capacity_the_rest_wait(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=2))
    regs = [sign(occ, resident(county["A1"])) for _ in range(4)]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert occ.registrations.filter(status="confirmed").count() == 2


def test_cancelled_seat_goes_to_the_earliest_waitlisted_in_order(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=1))
    users = [resident(county["A1"]) for _ in range(4)]
    first, w1, w2, w3 = (sign(occ, u) for u in users)
    # The second on the waitlist leaves first: nobody is skipped, w1 still goes before w3.
    services.registration_cancel(registration=w2, by=users[2])
    services.registration_cancel(registration=first, by=users[0])
    statuses = dict(Registration.objects.filter(occurrence=occ).values_list("pk", "status"))
    assert statuses[w1.pk] == "confirmed"
    assert statuses[w3.pk] == "waitlisted"
    assert selectors.waitlist_position(Registration.objects.get(pk=w3.pk)) == 1


def test_more_seats_promote_the_waitlist_in_order(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=1))
    regs = [sign(occ, resident(county["A1"])) for _ in range(4)]
    services.occurrence_update(occurrence=occ, by=staff, capacity=3)
    got = [Registration.objects.get(pk=r.pk).status for r in regs]
    assert got == ["confirmed", "confirmed", "confirmed", "waitlisted"]


def test_fewer_seats_than_confirmed_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=3))
    for _ in range(3):
        sign(occ, resident(county["A1"]))
    with pytest.raises(ValidationError) as e:
        services.occurrence_update(occurrence=occ, by=staff, capacity=2)
    assert "capacity" in e.value.message_dict
    occ.refresh_from_db()
    assert occ.capacity == 3


def test_duplicate_sign_up_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    sign(occ, user)
    with pytest.raises(ValidationError) as e:
        sign(occ, user)
    assert "person" in e.value.message_dict
    assert occ.registrations.count() == 1


def test_sign_up_after_close_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, signup_closes_minutes=60 * 72))  # closed a day ago
    with pytest.raises(ValidationError) as e:
        sign(occ, resident(county["A1"]))
    assert "closed" in str(e.value.message_dict["occurrence"]) or "截止" in str(e.value.message_dict["occurrence"])
    assert not occ.registrations.exists()


def test_sign_up_before_open_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, start=future(24 * 10), signup_opens_days=3))
    with pytest.raises(ValidationError):
        sign(occ, resident(county["A1"]))


def test_sign_up_for_a_cancelled_date_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    services.occurrence_cancel(occurrence=occ, by=staff)
    with pytest.raises(ValidationError):
        sign(occ, resident(county["A1"]))


def test_resident_signs_up_only_themselves(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user, other = resident(county["A1"]), resident(county["A1"])
    with pytest.raises(PermissionDenied):
        services.registration_create(occurrence=occ, person=other.person, by=user)


def test_resident_of_another_community_cannot_sign_up(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    with pytest.raises(PermissionDenied):
        sign(occ, resident(county["B1"]))


def test_resident_cancels_own_sign_up_but_not_after_start(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    reg = sign(occ, user)
    shift_to(occ, start=timezone.now() - dt.timedelta(minutes=5), end=timezone.now() + dt.timedelta(hours=1))
    with pytest.raises(ValidationError):
        services.registration_cancel(registration=reg, by=user)
    assert Registration.objects.get(pk=reg.pk).status == "confirmed"


def _now_running(occ):
    return shift_to(occ, start=timezone.now() - dt.timedelta(minutes=10), end=timezone.now() + dt.timedelta(hours=1))


def test_qr_check_in_checks_in_the_registered_resident(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    reg = sign(occ, user)
    _now_running(occ)
    got = services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=user)
    assert got.pk == reg.pk and got.checked_in_at is not None
    # Scanning twice is harmless.
    again = services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=user)
    assert again.checked_in_at == got.checked_in_at


def test_qr_check_in_with_a_foreign_code_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    other = occ_of(activity(by=staff, site=site, title="另一活动"))
    user = resident(county["A1"])
    sign(occ, user)
    _now_running(occ)
    with pytest.raises(ValidationError) as e:
        services.check_in_by_code(occurrence=occ, code=other.checkin_token, by=user)
    assert "code" in e.value.message_dict
    assert not occ.registrations.filter(checked_in_at__isnull=False).exists()


def test_qr_check_in_with_an_expired_code_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    sign(occ, user)
    shift_to(occ, start=timezone.now() - dt.timedelta(hours=5), end=timezone.now() - dt.timedelta(hours=3))
    with pytest.raises(ValidationError) as e:
        services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=user)
    assert "code" in e.value.message_dict


def test_qr_check_in_too_early_is_refused(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    sign(occ, user)
    with pytest.raises(ValidationError):
        services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=user)


def test_walk_in_gets_a_free_seat_but_not_a_taken_one(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=1))
    _now_running(occ)
    walker = resident(county["A1"])
    reg = services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=walker)
    assert reg.walk_in and reg.status == "confirmed"
    with pytest.raises(ValidationError):
        services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=resident(county["A1"]))
    assert occ.registrations.count() == 1


def test_waitlisted_resident_cannot_check_in(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=1))
    sign(occ, resident(county["A1"]))
    waiting = resident(county["A1"])
    sign(occ, waiting)
    _now_running(occ)
    with pytest.raises(ValidationError):
        services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=waiting)


def test_staff_checks_in_from_the_roster_and_attendance_counts_check_ins(staff, site, county):
    occ = occ_of(activity(by=staff, site=site, capacity=5))
    regs = [sign(occ, resident(county["A1"])) for _ in range(3)]
    _now_running(occ)
    services.check_in_by_staff(registration=regs[0], by=staff)
    services.check_in_by_staff(registration=regs[1], by=staff)
    row = selectors.occurrence_list(user=staff).get(pk=occ.pk)
    assert (row.confirmed, row.attended) == (3, 2)
    assert Registration.objects.get(pk=regs[0].pk).checked_in_by == staff


def test_staff_of_another_community_cannot_check_in(staff, site, county, make_user):
    occ = occ_of(activity(by=staff, site=site))
    reg = sign(occ, resident(county["A1"]))
    _now_running(occ)
    with pytest.raises(PermissionDenied):
        services.check_in_by_staff(registration=reg, by=make_user(Role.Kind.COMMUNITY_STAFF, county["B"]))


def test_only_attendees_review_after_start_and_organiser_sees_average(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    came, absent = resident(county["A1"]), resident(county["A1"])
    reg_came, reg_absent = sign(occ, came), sign(occ, absent)
    with pytest.raises(ValidationError):  # not started, not checked in
        services.review_submit(registration=reg_came, by=came, rating=5)
    _now_running(occ)
    services.check_in_by_code(occurrence=occ, code=occ.checkin_token, by=came)
    reg_came.refresh_from_db()
    services.review_submit(registration=reg_came, by=came, rating=4, comment="讲得很清楚")
    with pytest.raises(ValidationError):
        services.review_submit(registration=reg_absent, by=absent, rating=1)
    with pytest.raises(ValidationError):
        services.review_submit(registration=reg_came, by=came, rating=6)
    summary = selectors.review_summary(occurrence=occ)
    assert summary["average"] == 4 and summary["count"] == 1
    assert summary["reviews"][0].comment == "讲得很清楚"


def test_registrations_are_cancelled_never_deleted(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    reg = sign(occ, user)
    services.registration_cancel(registration=reg, by=user)
    assert Registration.objects.filter(pk=reg.pk, status="cancelled").exists()
    # Signing up again after cancelling is allowed (a new row).
    assert sign(occ, user).pk != reg.pk


def test_person_with_registrations_cannot_be_deleted(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    user = resident(county["A1"])
    sign(occ, user)
    with pytest.raises(ProtectedError):
        user.person.delete()


def test_staff_registers_a_walk_in_person(staff, site, county):
    occ = occ_of(activity(by=staff, site=site))
    person = PersonFactory(division=county["A1"], with_id=False)
    reg = services.registration_create(occurrence=occ, person=person, by=staff)
    assert reg.status == "confirmed" and reg.registered_by == staff
