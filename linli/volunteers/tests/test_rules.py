"""The rules of volunteer service: shift capacity, hours from check-in/out verified by the organiser,
records never deleted, stars, the points ledger, rewards, certificates, reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.test import override_settings
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.testing import activity, resident, shift_to
from linli.core.testing import SiteFactory
from linli.volunteers import selectors, services
from linli.volunteers.models import (
    PointsEntry,
    PointsRule,
    ServiceRecord,
    ShiftSignup,
    Team,
    stars_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"])


@pytest.fixture
def occ(staff, county):
    return activity(by=staff, site=SiteFactory(division=county["A"]), capacity=30).occurrences.get()


def volunteer(county, letter="A1", teams=("party_member",)):
    user = resident(county[letter])
    return services.volunteer_register(person=user.person, by=user, teams=Team.objects.filter(code__in=teams))


def running(shift):
    now = timezone.now()
    shift.start, shift.end = now - dt.timedelta(minutes=30), now + dt.timedelta(hours=1, minutes=30)
    shift.save()
    shift_to(shift.occurrence, start=shift.start, end=shift.end)
    return shift


def confirmed_record(staff, v, hours="3"):
    now = timezone.now()
    rec = services.service_record_add(volunteer=v, by=staff, content="清洁家园", start=now - dt.timedelta(hours=float(hours) + 2),
                                      end=now - dt.timedelta(hours=1), hours=Decimal(hours))
    return services.service_record_confirm(record=rec, by=staff)


def test_the_three_teams_and_professional_teams_are_seeded_data():
    codes = set(Team.objects.values_list("code", flat=True))
    assert {"party_member", "youth", "women"} <= codes
    assert {"teachers", "doctors", "police", "lawyers", "social_workers"} <= codes


def test_resident_registers_as_volunteer_with_a_number_and_teams(county):
    v = volunteer(county, teams=("youth", "women"))
    assert v.number.startswith("SY") and v.division == county["A"]
    assert set(v.teams.values_list("code", flat=True)) == {"youth", "women"}
    with pytest.raises(ValidationError):
        services.volunteer_register(person=v.person, by=v.person.user)


def test_shift_never_takes_more_volunteers_than_needed(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    for _ in range(2):
        v = volunteer(county)
        services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    late = volunteer(county)
    with pytest.raises(ValidationError) as e:
        services.shift_signup(shift=shift, volunteer=late, by=late.person.user)
    assert "shift" in e.value.message_dict
    assert shift.signups.filter(status="confirmed").count() == 2


def test_duplicate_shift_sign_up_is_refused(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=5)
    v = volunteer(county)
    services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    with pytest.raises(ValidationError):
        services.shift_signup(shift=shift, volunteer=v, by=v.person.user)


def test_staff_assigns_a_volunteer_and_volunteers_sign_up_only_themselves(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=5)
    v, other = volunteer(county), volunteer(county)
    signup = services.shift_signup(shift=shift, volunteer=v, by=staff)
    assert signup.assigned_by == staff
    with pytest.raises(PermissionDenied):
        services.shift_signup(shift=shift, volunteer=v, by=other.person.user)


def test_hours_come_from_check_in_and_out_and_wait_for_the_organiser(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    v = volunteer(county)
    user = v.person.user
    signup = services.shift_signup(shift=shift, volunteer=v, by=user)
    running(shift)
    services.shift_check_in(signup=signup, by=user, code=occ.checkin_token)
    ShiftSignup.objects.filter(pk=signup.pk).update(checked_in_at=timezone.now() - dt.timedelta(minutes=90))
    record = services.shift_check_out(signup=signup, by=user, code=occ.checkin_token)
    assert record.status == ServiceRecord.Status.PENDING and record.source == ServiceRecord.Source.CHECKIN
    # Checked in 90 minutes ago but the shift started 30 minutes ago: only time inside the shift counts.
    assert Decimal("0.45") <= record.hours <= Decimal("0.55")
    assert selectors.summary(v)["hours"] == 0
    services.service_record_confirm(record=record, by=staff)
    record.refresh_from_db()
    assert record.status == "confirmed" and record.verified_by == staff and record.verified_at
    assert selectors.summary(v)["hours"] == record.hours


def test_check_out_before_check_in_is_refused(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    v = volunteer(county)
    signup = services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    running(shift)
    with pytest.raises(ValidationError) as e:
        services.shift_check_out(signup=signup, by=v.person.user, code=occ.checkin_token)
    assert "code" in e.value.message_dict
    assert not ServiceRecord.objects.exists()


def test_shift_check_in_with_another_activitys_code_is_refused(staff, occ, county):
    other = activity(by=staff, site=occ.activity.site, title="别的活动").occurrences.get()
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    v = volunteer(county)
    signup = services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    running(shift)
    with pytest.raises(ValidationError):
        services.shift_check_in(signup=signup, by=v.person.user, code=other.checkin_token)
    signup.refresh_from_db()
    assert signup.checked_in_at is None


def test_admin_added_hours_over_the_shift_length_are_refused(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=2)
    v = volunteer(county)
    signup = services.shift_signup(shift=shift, volunteer=v, by=staff)
    now = timezone.now()
    with pytest.raises(ValidationError) as e:
        services.service_record_add(volunteer=v, by=staff, content="引导", start=now - dt.timedelta(hours=10),
                                    end=now - dt.timedelta(hours=1), hours=Decimal("5"), signup=signup)
    assert "hours" in e.value.message_dict
    assert not ServiceRecord.objects.exists()


def test_admin_added_hours_are_marked_and_pending(staff, county):
    v = volunteer(county)
    now = timezone.now()
    rec = services.service_record_add(volunteer=v, by=staff, content="入户走访", start=now - dt.timedelta(hours=3),
                                      end=now - dt.timedelta(hours=1), hours=Decimal("2"))
    assert rec.source == ServiceRecord.Source.ADMIN and rec.status == "pending" and rec.recorded_by == staff


def from_order(v, hours="2", by=None, **kw):
    now = timezone.now()
    kw.setdefault("start", now - dt.timedelta(hours=3))
    kw.setdefault("end", now - dt.timedelta(minutes=30))
    return services.service_record_from(source=ServiceRecord.Source.ORDER, volunteer=v, by=by or v.person.user,
                                        content="服务订单 FW-1：代买米油", hours=Decimal(hours), **kw)


def test_hours_from_another_app_say_where_they_came_from_and_wait_for_confirmation(county):
    v = volunteer(county)
    rec = from_order(v)
    assert (rec.source, rec.status, rec.recorded_by) == (ServiceRecord.Source.ORDER, ServiceRecord.Status.PENDING,
                                                          v.person.user)
    assert selectors.summary(v)["hours"] == 0 and selectors.summary(v)["pending_hours"] == Decimal("2")


def test_other_apps_cannot_write_staff_check_in_or_reversal_hours(county):
    v = volunteer(county)
    now = timezone.now()
    for source in (ServiceRecord.Source.ADMIN, ServiceRecord.Source.CHECKIN, ServiceRecord.Source.REVERSAL):
        with pytest.raises(ValueError):
            services.service_record_from(source=source, volunteer=v, by=v.person.user, content="入户走访",
                                         start=now - dt.timedelta(hours=3), end=now - dt.timedelta(hours=1),
                                         hours=Decimal("2"))
    assert not ServiceRecord.objects.exists()


def test_hours_from_another_app_keep_the_ledger_rules(county):
    v = volunteer(county)
    now = timezone.now()
    with pytest.raises(ValidationError) as e:
        from_order(v, end=now + dt.timedelta(hours=1))
    assert "end" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        from_order(v, hours="5", start=now - dt.timedelta(hours=2), end=now - dt.timedelta(hours=1))
    assert "hours" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        from_order(v, hours="-1")
    assert "hours" in e.value.message_dict
    assert not ServiceRecord.objects.exists()


def test_confirmed_hours_by_source_count_a_reversal_against_what_it_reverses(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "3")
    services.service_record_confirm(record=from_order(v, "2"), by=staff)
    wrong = services.service_record_confirm(record=from_order(v, "1"), by=staff)
    services.service_record_reverse(record=wrong, by=staff, reason="重复登记")
    by_source = selectors.hours_by_source(v.records.filter(status=ServiceRecord.Status.CONFIRMED))
    assert by_source == {ServiceRecord.Source.ADMIN: Decimal("3"), ServiceRecord.Source.ORDER: Decimal("2")}


def test_rejection_needs_a_reason_and_earns_nothing(staff, county):
    v = volunteer(county)
    now = timezone.now()
    rec = services.service_record_add(volunteer=v, by=staff, content="入户走访", start=now - dt.timedelta(hours=3),
                                      end=now - dt.timedelta(hours=1), hours=Decimal("2"))
    with pytest.raises(ValidationError):
        services.service_record_reject(record=rec, by=staff, reason="")
    services.service_record_reject(record=rec, by=staff, reason="时间重复")
    rec.refresh_from_db()
    assert rec.status == "rejected" and rec.reason == "时间重复"
    assert services.points_balance(v) == 0


def test_volunteer_cannot_confirm_own_hours_nor_can_other_communities(staff, county, make_user):
    v = volunteer(county)
    now = timezone.now()
    rec = services.service_record_add(volunteer=v, by=staff, content="x", start=now - dt.timedelta(hours=3),
                                      end=now - dt.timedelta(hours=1), hours=Decimal("2"))
    with pytest.raises(PermissionDenied):
        services.service_record_confirm(record=rec, by=v.person.user)
    with pytest.raises(PermissionDenied):
        services.service_record_confirm(record=rec, by=make_user(Role.Kind.COMMUNITY_STAFF, county["B"]))


def test_confirmed_records_are_never_deleted_only_reversed(staff, county):
    v = volunteer(county)
    rec = confirmed_record(staff, v, "4")
    with pytest.raises(ProtectedError):
        rec.delete()
    with pytest.raises(ProtectedError):
        ServiceRecord.objects.filter(pk=rec.pk).delete()
    reversal = services.service_record_reverse(record=rec, by=staff, reason="重复登记")
    assert reversal.hours == Decimal("-4") and reversal.reverses == rec
    assert selectors.summary(v)["hours"] == 0
    assert ServiceRecord.objects.filter(pk=rec.pk, status="confirmed").exists()
    with pytest.raises(ValidationError):
        services.service_record_reverse(record=rec, by=staff, reason="again")


def test_stars_follow_the_default_thresholds():
    assert [stars_for(h) for h in (0, 99.9, 100, 299, 300, 600, 1000, 1499, 1500, 5000)] == [0, 0, 1, 1, 2, 3, 4, 4, 5, 5]


@override_settings(LINLI_VOLUNTEER_STAR_HOURS=(2, 4, 6, 8, 10))
def test_star_thresholds_are_configurable(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "4")
    assert selectors.summary(v)["stars"] == 2


def test_confirmed_hours_earn_points_per_hour_rule(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "3")
    assert services.points_balance(v) == 30  # the seeded rule: 10 points per confirmed hour
    PointsRule.objects.filter(code="hour").update(points=5)
    confirmed_record(staff, v, "2")
    assert services.points_balance(v) == 40


def test_award_rule_adds_points(staff, county):
    v = volunteer(county)
    services.points_award(volunteer=v, rule=PointsRule.objects.get(code="outstanding"), by=staff)
    assert services.points_balance(v) == 100


def test_redemption_beyond_balance_is_refused_and_nothing_saved(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "3")  # 30 points
    reward = services.reward_create(division=county["A"], by=staff, name="洗衣液", cost=50, stock=5)
    with pytest.raises(ValidationError) as e:
        services.reward_redeem(volunteer=v, reward=reward, by=v.person.user)
    assert "quantity" in e.value.message_dict
    reward.refresh_from_db()
    assert reward.stock == 5 and services.points_balance(v) == 30 and not v.redemptions.exists()


def test_redemption_takes_points_and_stock_through_the_ledger(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "10")  # 100 points
    reward = services.reward_create(division=county["A"], by=staff, name="毛巾", cost=30, stock=2)
    services.reward_redeem(volunteer=v, reward=reward, by=v.person.user, quantity=2)
    reward.refresh_from_db()
    assert reward.stock == 0 and services.points_balance(v) == 40
    assert list(v.points_entries.order_by("pk").values_list("kind", "amount")) == [("earned", 100), ("redeemed", -60)]
    with pytest.raises(ValidationError):  # out of stock
        services.reward_redeem(volunteer=v, reward=reward, by=v.person.user)


def test_reversal_never_takes_the_balance_below_zero(staff, county):
    v = volunteer(county)
    rec = confirmed_record(staff, v, "5")  # 50 points
    reward = services.reward_create(division=county["A"], by=staff, name="米", cost=40, stock=3)
    services.reward_redeem(volunteer=v, reward=reward, by=v.person.user)
    services.service_record_reverse(record=rec, by=staff, reason="误登")
    assert services.points_balance(v) == 0


def test_points_entries_are_never_deleted(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "1")
    with pytest.raises(ProtectedError):
        PointsEntry.objects.all().delete()


def test_certificate_carries_confirmed_hours_and_a_verification_token(staff, county):
    v = volunteer(county)
    with pytest.raises(ValidationError):
        services.certificate_issue(volunteer=v, by=v.person.user)
    confirmed_record(staff, v, "3")
    confirmed_record(staff, v, "2.5")
    cert = services.certificate_issue(volunteer=v, by=v.person.user)
    assert cert.hours == Decimal("5.5") and cert.records == 2
    assert cert.number.startswith("LLZM") and len(cert.token) >= 16


def test_certificate_keeps_its_hours_by_source_as_they_stood_at_issue(staff, county):
    v = volunteer(county)
    confirmed_record(staff, v, "3")
    services.service_record_confirm(record=from_order(v, "2"), by=staff)
    cert = services.certificate_issue(volunteer=v, by=v.person.user)
    services.service_record_confirm(record=from_order(v, "1"), by=staff)  # after the issue: not on it
    cert.refresh_from_db()
    assert cert.hours_by_source == {"admin": "3.00", "order": "2.00"}


def test_reminders_go_once_to_shifts_within_48_hours(staff, occ, county):
    from linli.notifications.models import Notification

    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=3)  # occurrence in 48 h
    v = volunteer(county)
    services.shift_signup(shift=shift, volunteer=v, by=v.person.user)
    assert services.shift_reminders_send(now=timezone.now() + dt.timedelta(minutes=1)) == 1
    assert services.shift_reminders_send(now=timezone.now() + dt.timedelta(minutes=2)) == 0
    told = Notification.objects.filter(key="shift.reminder")
    assert list(told.values_list("recipient_id", flat=True)) == [v.person.user_id]


def test_no_show_is_marked_after_the_start_only_for_absent_volunteers(staff, occ, county):
    shift = services.shift_create(occurrence=occ, by=staff, role="引导员", needed=3)
    v = volunteer(county)
    signup = services.shift_signup(shift=shift, volunteer=v, by=staff)
    with pytest.raises(ValidationError):
        services.signup_mark_no_show(signup=signup, by=staff)
    running(shift)
    assert services.signup_mark_no_show(signup=signup, by=staff).status == ShiftSignup.Status.NO_SHOW
