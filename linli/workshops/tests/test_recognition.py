"""Recognition figures from records, each criterion with its figure; the quarterly review's states and
grace; the dated rules; the credit code check; the public sign."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from linli.core.testing import HouseholdFactory
from linli.people.models import Membership
from linli.workshops import creditcode, selectors, services
from linli.workshops.models import Review, RuleSet
from linli.workshops.rules import rules_for
from linli.workshops.testing import last_month, month_of_work, person, worker

pytestmark = pytest.mark.django_db


def _crew(world, n, *, tags=("tuopin",), started_on=None):
    started_on = started_on or timezone.localdate() - dt.timedelta(days=200)
    return [worker(world["workshop"], person(world["A1"], tags=tags), by=world["staff"], started_on=started_on)
            for _ in range(n)]


def test_five_counted_poor_workers_and_valid_insurance_meet_the_criteria(world):
    _crew(world, 5)
    _crew(world, 2, tags=())
    rec = selectors.recognition(workshop=world["workshop"])
    assert (rec.headcount, rec.poor_workers, rec.poor_counted, rec.stable_poor_workers) == (7, 5, 5, 5)
    assert rec.met and rec.shortfalls == []


def test_the_criterion_that_falls_short_names_its_figure(world):
    _crew(world, 4)
    # Hired 30 days ago with no pay: neither 90 days nor 5,000 yuan yet.
    _crew(world, 2, started_on=timezone.localdate() - dt.timedelta(days=30))
    w = world["workshop"]
    services.workshop_update(by=world["staff"], workshop=w, insurance_per_worker_month=Decimal("12"))
    rec = selectors.recognition(workshop=w)
    short = {c.code: c for c in rec.shortfalls}
    assert set(short) == {"poor_workers", "insurance_premium"}
    assert short["poor_workers"].figure == "4" and short["poor_workers"].required == "≥ 5"
    assert short["insurance_premium"].figure == "12.00"
    assert rec.poor_workers == 6 and rec.stable_poor_workers == 4


def test_a_poor_worker_counts_by_income_before_ninety_days(world):
    _crew(world, 4)
    started = last_month() - dt.timedelta(days=20)
    rich = worker(world["workshop"], person(world["A1"], tags=("jiance",)), by=world["staff"], started_on=started)
    services.rate_set(by=world["staff"], job=world["sewing"], amount=Decimal("50"), valid_from=started)
    month_of_work(rich, world["sewing"], by=world["staff"], cycle=last_month(), per_day=10, days=10)  # 5,000 yuan
    services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=last_month())
    rec = selectors.recognition(workshop=world["workshop"])
    assert rich.pk in rec.counted_worker_ids and rec.poor_counted == 5 and rec.met
    assert rec.average_monthly_wage == Decimal("5000.00")


def test_a_household_members_tag_makes_the_worker_count(world):
    home = HouseholdFactory(division=world["A1"])
    person(world["A1"], tags=("tuopin",), household=home)
    son = person(world["A1"], household=home, relation=Membership.Relation.CHILD)
    assert selectors.poor_person_ids({son.pk}) == {son.pk}


def test_the_quarterly_review_monitors_with_grace_then_clears(world):
    staff, w = world["staff"], world["workshop"]
    _crew(world, 2, started_on=dt.date(2024, 1, 1))
    now = timezone.make_aware(dt.datetime(2026, 1, 10, 9))
    # Insurance ran out long ago in this test: not met from the first review on.
    services.workshop_update(by=staff, workshop=w, insurance_expires=dt.date(2024, 12, 31))
    q1 = services.review_record(by=staff, workshop=w, quarter=dt.date(2025, 1, 1), now=now)
    assert q1.state == Review.State.MONITOR and q1.grace_until == dt.date(2025, 9, 30)
    assert "poor_workers" in q1.shortfalls
    q2 = services.review_record(by=staff, workshop=w, quarter=dt.date(2025, 4, 1), now=now)
    assert q2.state == Review.State.MONITOR and q2.grace_until == q1.grace_until
    q3 = services.review_record(by=staff, workshop=w, quarter=dt.date(2025, 7, 1), now=now)
    assert q3.state == Review.State.MONITOR  # the grace runs to the end of September
    q4 = services.review_record(by=staff, workshop=w, quarter=dt.date(2025, 10, 1), now=now)
    assert q4.state == Review.State.CLEARED
    with pytest.raises(ValidationError):
        services.review_record(by=staff, workshop=w, quarter=dt.date(2025, 10, 1), now=now)


def test_a_workshop_meeting_the_criteria_is_running_normally(world):
    _crew(world, 5, started_on=dt.date(2024, 1, 1))
    now = timezone.make_aware(dt.datetime(2026, 1, 10, 9))
    review = services.review_record(by=world["staff"], workshop=world["workshop"], quarter=dt.date(2025, 10, 1),
                                    now=now)
    assert review.state == Review.State.NORMAL and review.figures["met"] and review.figures["poor_counted"] == 5


def test_rules_are_dated_and_never_overlap(world):
    county, office = world["county"], world["office"]
    services.rule_set_create(by=office, county=county, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31),
                             min_poor_workers=10)
    with pytest.raises(ValidationError) as exc:
        services.rule_set_create(by=office, county=county, valid_from=dt.date(2025, 6, 1), min_poor_workers=8)
    assert "overlap" in {e.code for e in exc.value.error_dict["valid_from"]}
    services.rule_set_create(by=office, county=county, valid_from=dt.date(2026, 1, 1), min_poor_workers=8)
    assert rules_for(world["A"], dt.date(2025, 7, 1)).min_poor_workers == 10
    assert rules_for(world["A"], dt.date(2026, 7, 1)).min_poor_workers == 8
    assert rules_for(world["A"], dt.date(2024, 7, 1)).min_poor_workers == 5  # the default rule set
    assert RuleSet.objects.filter(county__isnull=True).count() == 1


def test_only_the_county_office_sets_rules(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.rule_set_create(by=world["staff"], county=world["county"], valid_from=dt.date(2025, 1, 1))


def test_the_credit_code_check_character_is_verified(world):
    assert creditcode.validate("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ValidationError):
        creditcode.validate("91350100M000100Y44")
    with pytest.raises(ValidationError):
        creditcode.validate("91350100M00010OY43")  # letter O is not used
    with pytest.raises(ValidationError):
        services.workshop_update(by=world["staff"], workshop=world["workshop"], credit_code="91350100M000100Y44")


def test_the_public_sign_shows_operator_product_hours_headcount_and_poor_workers(world):
    _crew(world, 3)
    _crew(world, 1, tags=())
    sign = selectors.public_sign(workshop=world["workshop"])
    assert sign["operator"] == world["workshop"].operator.name and sign["products"] == "手工编织品"
    assert sign["hours"] and (sign["headcount"], sign["poor_workers"]) == (4, 3)
