"""Shift capacity and points under concurrency, proven on PostgreSQL (select_for_update on the shift,
and on the volunteer then the reward)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.testing import activity, resident, run_concurrently
from linli.core.testing import SiteFactory
from linli.volunteers import services
from linli.volunteers.models import Redemption, Reward, ShiftSignup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL; this runs in the PostgreSQL CI run")


@pytest.fixture
def staff(county, make_user):
    return make_user(Role.Kind.COMMUNITY_STAFF, county["A"])


def _volunteer(county):
    user = resident(county["A1"])
    return services.volunteer_register(person=user.person, by=user)


def test_shift_never_takes_more_than_needed_under_concurrency(county, staff):
    occ = activity(by=staff, site=SiteFactory(division=county["A"])).occurrences.get()
    shift = services.shift_create(occurrence=occ, by=staff, role="秩序维护", needed=10)
    volunteers = [_volunteer(county) for _ in range(60)]

    def take(v):
        return services.shift_signup(shift=shift, volunteer=v, by=v.person.user)

    results, errors = run_concurrently(take, volunteers, workers=30)
    assert len(results) == 10 and len(errors) == 50
    assert all(getattr(e, "message_dict", {}).get("shift") for e in errors)
    assert ShiftSignup.objects.filter(shift=shift, status="confirmed").count() == 10


def test_concurrent_redemptions_never_go_below_zero_balance(county, staff):
    v = _volunteer(county)
    now = timezone.now()
    rec = services.service_record_add(volunteer=v, by=staff, content="清洁家园", start=now - dt.timedelta(hours=12),
                                      end=now - dt.timedelta(hours=1), hours=Decimal("10"))
    services.service_record_confirm(record=rec, by=staff)  # 100 points
    reward = services.reward_create(division=county["A"], by=staff, name="洗衣液", cost=30, stock=100)

    results, errors = run_concurrently(lambda _: services.reward_redeem(volunteer=v, reward=reward, by=v.person.user),
                                       list(range(20)), workers=20)
    assert len(results) == 3 and len(errors) == 17
    assert services.points_balance(v) == 10
    reward.refresh_from_db()
    assert reward.stock == 97


def test_concurrent_redemptions_never_go_below_zero_stock(county, staff):
    reward = services.reward_create(division=county["A"], by=staff, name="大米", cost=10, stock=5)
    volunteers = []
    for _ in range(20):
        v = _volunteer(county)
        now = timezone.now()
        rec = services.service_record_add(volunteer=v, by=staff, content="巡逻", start=now - dt.timedelta(hours=4),
                                          end=now - dt.timedelta(hours=1), hours=Decimal("2"))
        services.service_record_confirm(record=rec, by=staff)
        volunteers.append(v)

    results, errors = run_concurrently(lambda v: services.reward_redeem(volunteer=v, reward=reward, by=v.person.user),
                                       volunteers, workers=20)
    assert len(results) == 5 and len(errors) == 15
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Redemption.objects.filter(reward=reward).count() == 5
