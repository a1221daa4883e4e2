"""Proven on PostgreSQL with real concurrent clients: the same diner at two counters (two canteens)
at once gets one subsidised meal in a slot, never two."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from linli.canteen import services
from linli.canteen.models import Meal, RefusedMeal
from linli.canteen.testing import canteen, county_user, diner, elder, staff_user, tiers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency guarantees are proven on PostgreSQL (set DATABASE_URL)")


def _race(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except ValidationError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_one_subsidised_meal_per_slot_at_two_counters_under_concurrency(county):
    office = county_user(county["county"])
    staff = staff_user(county["A"])
    counters = [canteen(county["A"], by=staff, name=f"食堂{i}") for i in range(2)]
    tiers(county["county"], by=office)
    d = diner(counters[0], elder(county["A1"], age=82, tags=["dibao"]), by=staff)
    results = _race(6, lambda i: services.meal_serve(by=staff, canteen=counters[i % 2], slot="lunch", diner=d))
    served = [r for r in results if isinstance(r, Meal)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(served) == 1 and len(refused) == 5
    assert Meal.objects.filter(diner=d, subsidy__gt=0).count() == 1
    assert RefusedMeal.objects.filter(diner=d).count() == 5
