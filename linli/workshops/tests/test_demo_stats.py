"""The demo builds the workshops through the services; `linli stats --json` has the `workshops` section
with exactly its published keys, computed from records."""

import json

import pytest

from linli.cli import main
from linli.demo import generator
from linli.workshops import selectors
from linli.workshops.models import PayRun, Review, Worker, WorkRecord, Workshop

pytestmark = pytest.mark.django_db

KEYS = ["workshops", "recognised", "workers", "poor_workers", "stable_poor_workers", "wages_paid_last_12_months",
        "average_monthly_wage", "unpaid_pay_runs"]


@pytest.fixture
def demo(db):
    return generator.build(households_per_grid=6)


def test_the_demo_has_three_workshops_one_home_based_one_in_grace_and_one_unpaid_run(demo):
    assert Workshop.objects.count() == 3
    assert Workshop.objects.filter(kind__home_based=True).count() == 1
    assert Worker.objects.count() >= 30
    assert WorkRecord.objects.count() > 1000
    assert PayRun.objects.filter(paid_at__isnull=True).count() == 1
    latest = {w.pk: selectors.review_state(workshop=w).state for w in Workshop.objects.all()}
    assert sorted(latest.values()).count(Review.State.MONITOR) == 1
    found = selectors.county_checks()
    assert found["double_counted"] and found["no_pay"]
    assert any(login.username == "workshop" for login in demo)


def test_stats_json_has_the_workshops_keys(demo, capsys):
    main(["stats", "--json", "--live"])
    data = json.loads(capsys.readouterr().out)["workshops"]
    assert list(data) == KEYS
    assert data["workshops"] == 3 and data["unpaid_pay_runs"] == 1
    assert data["workers"] > data["poor_workers"] >= data["stable_poor_workers"] > 0
    assert data["recognised"] == 2
    assert data["wages_paid_last_12_months"] > 0 and data["average_monthly_wage"] > 0
