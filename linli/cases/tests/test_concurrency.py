"""Two staff acting on one case at the same instant: the row lock lets exactly one win; the other gets a
clear error, and the history has one line. Each thread has its own connection; a Barrier releases them."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from linli.cases import services
from linli.cases.models import Case, CaseEvent
from linli.cases.tests.conftest import new_case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (row locks between real connections); runs in the PostgreSQL CI run"),
]


def race(works) -> dict:
    barrier = threading.Barrier(len(works))
    won, refused, errors = [], [], []

    def run(work):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            with translation.override("en"):  # the language is per thread
                work()
            won.append(1)
        except ValidationError as e:
            refused.append(" ".join(e.messages))
        except Exception as e:  # noqa: BLE001 — shown by the test, never swallowed
            errors.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return {"won": len(won), "refused": refused, "errors": errors}


def test_two_staff_dispatching_at_once_one_wins(world):
    case = new_case(world)
    out = race([lambda s=s: services.case_dispatch(case=case, by=world[s], team=world["team"])
                for s in ("staff", "staff2")])
    assert out["errors"] == [] and out["won"] == 1
    assert len(out["refused"]) == 1 and "Cannot dispatch" in out["refused"][0]
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert Case.objects.get(pk=case.pk).status == Case.Status.DISPATCHED


def test_accept_racing_a_cancelled_dispatch_never_both(world):
    case = new_case(world)
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    out = race([lambda: services.case_accept(case=case, by=world["vol_user"]),
                lambda: services.case_cancel_dispatch(case=case, by=world["staff"], reason="居民改期")])
    assert out["errors"] == [] and out["won"] >= 1
    case.refresh_from_db()
    lines = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", "from_status", "to_status"))
    # Whatever the order, every line starts where the previous one ended.
    assert all(a[2] == b[1] for a, b in zip(lines, lines[1:], strict=False))
    assert case.status == lines[-1][2]


def test_many_ratings_at_once_rate_once(world):
    case = new_case(world)
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    services.case_accept(case=case, by=world["vol_user"])
    services.case_complete(case=case, by=world["vol_user"], report="好")
    out = race([lambda r=r: services.case_rate(case=case, by=world["resident"], rating=r) for r in (1, 2, 3, 4, 5)])
    assert out["errors"] == [] and out["won"] == 1 and len(out["refused"]) == 4
    assert CaseEvent.objects.filter(case=case, action="rate").count() == 1
