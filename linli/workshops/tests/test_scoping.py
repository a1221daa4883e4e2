"""Who sees what: community staff their community's workshops, the county office all, a workshop's
managers only their workshop, a worker only their own records; refusals in the user's language."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from linli.core.testing import UserFactory
from linli.workshops import selectors, services
from linli.workshops.models import LedgerRow, Worker, WorkRecord, Workshop
from linli.workshops.testing import last_month, month_of_work, person, staff_user, worker

pytestmark = pytest.mark.django_db


def test_staff_of_another_community_get_a_404(world):
    b_staff = staff_user(world["B"])
    assert not Workshop.objects.visible_to(b_staff).exists()
    with pytest.raises(Http404):
        selectors.workshop_get(user=b_staff, pk=world["workshop"].pk)
    assert selectors.workshop_get(user=world["office"], pk=world["workshop"].pk) == world["workshop"]


def test_a_manager_reaches_only_their_workshop_and_records_there(world):
    manager = UserFactory()
    services.workshop_manager_add(by=world["staff"], workshop=world["workshop"], user=manager)
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"])
    assert list(selectors.workshop_list(user=manager)) == [world["workshop"]]
    r = services.record_add(by=manager, worker=wk, job=world["sewing"], date=timezone.localdate(), quantity=30)
    assert r.status == WorkRecord.Status.CONFIRMED
    assert set(Worker.objects.visible_to(manager)) == {wk}


def test_a_worker_sees_only_their_own_records(world):
    me, other = UserFactory(), UserFactory()
    a = worker(world["workshop"], person(world["A1"], user=me), by=world["staff"])
    b = worker(world["workshop"], person(world["A1"], user=other), by=world["staff"])
    month_of_work(a, world["sewing"], by=world["staff"], cycle=last_month(), days=2)
    month_of_work(b, world["sewing"], by=world["staff"], cycle=last_month(), days=2)
    assert {r.worker_id for r in WorkRecord.objects.visible_to(me)} == {a.pk}
    assert set(Worker.objects.visible_to(me)) == {a}
    assert {r.worker_id for r in selectors.my_records(user=me)} == {a.pk}
    assert not LedgerRow.objects.visible_to(me).exists()


def test_a_refusal_is_in_the_users_language(world):
    started = timezone.localdate() - dt.timedelta(days=30)
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"], started_on=started,
                contract_end=started + dt.timedelta(days=1))
    for language, words in (("zh-hans", "没有有效合同"), ("en", "has no contract covering")):
        with translation.override(language), pytest.raises(ValidationError) as exc:
            services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=started + dt.timedelta(days=5),
                                quantity=5)
        assert words in exc.value.message_dict["worker"][0]
