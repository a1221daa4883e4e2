"""Thin services the pages need that the domain services do not offer (read-only previews)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from . import services
from .models import Rate, Worker, Workshop

CENT = Decimal("0.01")


def pay_run_preview(*, workshop: Workshop, cycle: dt.date) -> list[dict]:
    """Who a pay run of the cycle would pay and their gross, before it is computed (so the staff can
    enter each worker's deductions): the same records and rates as services.pay_run_compute, nothing
    written. Raises the services' ValidationError for a job without a rate."""
    first = services.month_start(cycle)
    records = list(services.payable_records(workshop_id=workshop.pk, cycle=first).select_related("job"))
    rates: dict[int, list[Rate]] = defaultdict(list)
    for rate in Rate.objects.filter(job__workshop=workshop):
        rates[rate.job_id].append(rate)
    per_worker = services.gross_items(records, rates)
    workers = {w.pk: w for w in Worker.objects.filter(pk__in=per_worker).select_related("person")}
    rows = []
    for worker_id, w in per_worker.items():
        gross = sum((i["amount"] for i in w["items"].values() if i["quantity"] != 0), Decimal(0)).quantize(CENT)
        rows.append({"worker": workers[worker_id], "gross": gross})
    return sorted(rows, key=lambda r: (r["worker"].person.name, r["worker"].pk))
