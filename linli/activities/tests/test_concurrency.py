"""Capacity under concurrent sign-ups, proven on PostgreSQL (select_for_update on the occurrence)."""

import pytest
from django.db import connection

from linli.accounts.models import Role
from linli.activities import services
from linli.activities.models import Registration
from linli.activities.testing import activity, run_concurrently
from linli.core.testing import PersonFactory, SiteFactory, UserFactory, grant
from linli.people.models import Person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL; this runs in the PostgreSQL CI run")


def test_registration_never_exceeds_capacity_under_concurrency(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=50).occurrences.get()
    users = [grant(UserFactory(), Role.Kind.RESIDENT, county["A1"]) for _ in range(200)]
    for u in users:
        PersonFactory(division=county["A1"], user=u, with_id=False)
    persons = {p.user_id: p for p in Person.objects.filter(user__in=users)}

    def sign_up(user):
        return services.registration_create(occurrence=occ, person=persons[user.pk], by=user).status

    results, errors = run_concurrently(sign_up, users)
    assert errors == []
    assert results.count("confirmed") == 50 and results.count("waitlisted") == 150
    assert Registration.objects.filter(occurrence=occ, status="confirmed").count() == 50
    assert Registration.objects.filter(occurrence=occ, status="waitlisted").count() == 150


def test_concurrent_cancellations_promote_each_waitlisted_once_in_order(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), capacity=20).occurrences.get()
    regs = []
    for _ in range(40):
        u = grant(UserFactory(), Role.Kind.RESIDENT, county["A1"])
        p = PersonFactory(division=county["A1"], user=u, with_id=False)
        regs.append(services.registration_create(occurrence=occ, person=p, by=staff))
    confirmed, waiting = regs[:20], regs[20:]

    _, errors = run_concurrently(lambda r: services.registration_cancel(registration=r, by=staff),
                                 confirmed[:10], workers=10)
    assert errors == []
    assert Registration.objects.filter(occurrence=occ, status="confirmed").count() == 20
    promoted = set(Registration.objects.filter(pk__in=[r.pk for r in waiting], status="confirmed")
                   .values_list("pk", flat=True))
    assert promoted == {r.pk for r in waiting[:10]}
