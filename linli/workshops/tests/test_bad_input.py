"""The issue's bad input, each in both languages: a piece record for a worker without a contract, a
duplicate scan, a pay run over a closed cycle, a worker under 16, a wage ledger row marked paid without
proof — a clear, translated error (Chinese by default, English on request) and nothing recorded."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from linli.workshops import services
from linli.workshops.models import LedgerRow, PayRun, Worker, WorkRecord
from linli.workshops.testing import last_month, month_of_work, person, worker

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")
WORDS = re.compile(r"[A-Za-z]{3,} [A-Za-z]{2,} [A-Za-z]{2,}")


def _state():
    return (Worker.objects.count(), WorkRecord.objects.count(), PayRun.objects.count(), LedgerRow.objects.count(),
            LedgerRow.objects.filter(pay_date__isnull=False).count())


def _messages(exc) -> list[str]:
    return [m for ms in exc.value.message_dict.values() for m in ms]


def _refusals(world):
    """Each bad input as a callable, over records made once."""
    today = timezone.localdate()
    cycle = last_month()
    wk = worker(world["workshop"], person(world["A1"]), by=world["staff"], started_on=services.add_months(cycle, -1))
    month_of_work(wk, world["sewing"], by=world["staff"], cycle=cycle, days=2)
    run = services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle)
    row = run.rows.get()
    ended = worker(world["workshop"], person(world["A1"]), by=world["staff"], started_on=today - dt.timedelta(days=30),
                   contract_end=today - dt.timedelta(days=20))
    day = today - dt.timedelta(days=1)
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=day, quantity=77, now=at)
    young = person(world["A1"], born=today.replace(year=today.year - 16) + dt.timedelta(days=1))
    return {
        "no_contract": lambda: services.record_add(by=world["staff"], worker=ended, job=world["sewing"],
                                                   date=today - dt.timedelta(days=5), quantity=10),
        "duplicate": lambda: services.record_add(by=world["staff"], worker=wk, job=world["sewing"], date=day,
                                                 quantity=77, now=at + dt.timedelta(minutes=3)),
        "closed": lambda: services.pay_run_compute(by=world["staff"], workshop=world["workshop"], cycle=cycle),
        "under_age": lambda: worker(world["workshop"], young, by=world["staff"], started_on=today),
        "no_proof": lambda: services.ledger_row_pay(by=world["staff"], row=row, pay_date=today, transfer_ref=""),
    }


def test_each_bad_input_is_refused_with_a_translated_message_and_nothing_recorded(world):
    refusals = _refusals(world)
    before = _state()
    for code, attempt in refusals.items():
        said = {}
        for language in ("zh-hans", "en"):
            with translation.override(language), pytest.raises(ValidationError) as exc:
                attempt()
            assert code in {e.code for es in exc.value.error_dict.values() for e in es}, (code, language)
            said[language] = " ".join(_messages(exc))
        # Chinese words in Chinese (no English phrase left untranslated), English words in English
        assert HAN.search(said["zh-hans"]) and not WORDS.search(said["zh-hans"]), (code, said)
        assert WORDS.search(said["en"]) and said["en"] != said["zh-hans"], (code, said)
        assert _state() == before, code
