"""THE RULE under load: no two confirmed bookings of a room ever overlap, even when many clients ask at
the same instant. Each thread has its own database connection; a Barrier releases them together."""

import datetime as dt
import itertools
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from linli.core.testing import UserFactory, grant
from linli.places import services
from linli.places.models import Booking
from linli.places.tests.conftest import at

THREADS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (row locks between real connections); runs in the PostgreSQL CI run"),
]


def race(n, work) -> dict:
    """Run work(i) in n threads released together; count outcomes. Any error other than a
    ValidationError is kept so the test can show it."""
    barrier = threading.Barrier(n)
    outcomes, errors = [], []

    def run(i):
        try:
            connection.ensure_connection()  # connect first, so the barrier releases real contenders
            barrier.wait(timeout=30)
            work(i)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as e:  # noqa: BLE001 — reported by the test, never swallowed
            errors.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - started
    return {"threads": n, "confirmed": outcomes.count("ok"), "refused": outcomes.count("refused"),
            "errors": errors, "elapsed_s": round(elapsed, 3)}


def _report(name, figures, record_property):
    print(f"\n[{name}] threads={figures['threads']} confirmed={figures['confirmed']} "
          f"refused={figures['refused']} errors={len(figures['errors'])} elapsed={figures['elapsed_s']}s")
    record_property(name, figures)


def _no_confirmed_overlap(room) -> bool:
    confirmed = list(Booking.objects.filter(room=room, status=Booking.Status.CONFIRMED).order_by("start"))
    return all(a.end <= b.start for a, b in itertools.pairwise(confirmed))


@pytest.fixture
def residents(county):
    return [grant(UserFactory(), "resident", county["A"]) for _ in range(THREADS)]


def test_same_slot_requested_concurrently_is_confirmed_exactly_once(room_a, residents, day, record_property):
    figures = race(THREADS, lambda i: services.booking_request(
        room=room_a, by=residents[i], start=at(day, 10), end=at(day, 11), purpose=f"并发{i}"))
    _report("same_slot", figures, record_property)
    assert figures["errors"] == []
    assert (figures["confirmed"], figures["refused"]) == (1, THREADS - 1)
    assert Booking.objects.filter(room=room_a, status=Booking.Status.CONFIRMED).count() == 1


def test_partially_overlapping_slots_requested_concurrently_never_overlap(room_a, residents, day,
                                                                         record_property):
    # Every slot contains 10:38–11:00, so exactly one can win.
    figures = race(THREADS, lambda i: services.booking_request(
        room=room_a, by=residents[i], start=at(day, 10) + dt.timedelta(minutes=2 * i),
        end=at(day, 11) + dt.timedelta(minutes=2 * i), purpose=f"并发{i}"))
    _report("partial_overlap", figures, record_property)
    assert figures["errors"] == []
    assert (figures["confirmed"], figures["refused"]) == (1, THREADS - 1)


def test_chained_slots_requested_concurrently_keep_confirmed_bookings_apart(room_a, residents, day,
                                                                           record_property):
    # Slot i overlaps slots i-3..i+3 only: several can win, but no two winners may overlap.
    figures = race(THREADS, lambda i: services.booking_request(
        room=room_a, by=residents[i], start=at(day, 9) + dt.timedelta(minutes=15 * i),
        end=at(day, 10) + dt.timedelta(minutes=15 * i), purpose=f"并发{i}"))
    _report("chained", figures, record_property)
    assert figures["errors"] == []
    # each winner blocks at most 7 slots (its own and three either side), so at least 3 win
    assert figures["confirmed"] >= 3 and figures["confirmed"] + figures["refused"] == THREADS
    assert _no_confirmed_overlap(room_a)


def test_confirming_overlapping_pending_bookings_concurrently_confirms_exactly_one(room_a, residents, staff_a, day,
                                                                                  record_property):
    room_a.requires_approval = True
    room_a.save()
    pending = [services.booking_request(room=room_a, by=residents[i], start=at(day, 10) + dt.timedelta(minutes=i),
                                        end=at(day, 11), purpose=f"待批{i}") for i in range(THREADS)]
    figures = race(THREADS, lambda i: services.booking_confirm(booking=pending[i], by=staff_a))
    _report("confirm_pending", figures, record_property)
    assert figures["errors"] == []
    assert (figures["confirmed"], figures["refused"]) == (1, THREADS - 1)
    assert Booking.objects.filter(room=room_a, status=Booking.Status.CONFIRMED).count() == 1
