"""Races proven on PostgreSQL: several workers sending the due deliveries at once send each exactly
once; the same event notified from several requests at once makes one notification."""

import pytest
from django.db import connection

from linli.activities.testing import run_concurrently
from linli.notifications import services
from linli.notifications.models import Channel, Delivery, Notification
from linli.notifications.tests.conftest import not_quiet, person_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency guarantees are proven on PostgreSQL (set DATABASE_URL)")


def test_concurrent_workers_send_each_delivery_exactly_once(county, gateway):
    users = [person_user(county["A1"], phone=f"139{i:08d}", **not_quiet()) for i in range(30)]
    for user in users:
        services.notify(recipient=user, key="welcome")
    _results, errors = run_concurrently(lambda _i: services.deliveries_send_due(), list(range(8)), workers=8)
    assert not errors
    ids = [r["json"]["id"] for r in gateway.requests]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert Delivery.objects.filter(channel=Channel.SMS, status=Delivery.Status.SENT).count() == 30
    assert set(Delivery.objects.filter(channel=Channel.SMS).values_list("attempts", flat=True)) == {1}


def test_the_same_event_notified_at_once_makes_one_notification(county):
    user = person_user(county["A1"], **not_quiet())
    _results, errors = run_concurrently(
        lambda _i: services.notify(recipient=user, key="welcome", dedup_key="once"), list(range(10)), workers=10)
    assert not errors
    assert Notification.objects.filter(recipient=user, dedup_key="once").count() == 1
