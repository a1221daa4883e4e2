"""The thresholds in force on a day, for a county: its own dated RuleSet, else the default RuleSet
(no county, seeded by migration 0002), else the code defaults below (the same figures). Every
threshold the services and selectors use comes from `rules_for(division, day)`."""

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import Q

from .models import RuleSet


@dataclass(frozen=True)
class Rules:
    min_poor_workers: int = 5
    insurance_min_per_worker_month: Decimal = Decimal("15.00")
    count_after_days: int = 90
    count_after_income: Decimal = Decimal("5000.00")
    stable_months: int = 3
    review_grace_months: int = 6
    year_start_month: int = 10
    pay_due_days: int = 15
    duplicate_minutes: int = 10
    sharp_drop_share: Decimal = Decimal("0.50")
    drop_lookback_months: int = 3
    ledger_retention_years: int = 3
    min_age: int = 16
    rule_set_id: int | None = None

    @classmethod
    def of(cls, row: RuleSet) -> "Rules":
        names = {f.name for f in fields(cls)} - {"rule_set_id"}
        return cls(**{n: getattr(row, n) for n in names}, rule_set_id=row.pk)


def _county(division):
    if division is None:
        return None
    from linli.divisions.models import Division

    if division.level == Division.Level.COUNTY:
        return division
    ids = division.ancestor_ids()
    return Division.objects.filter(pk__in=ids, level=Division.Level.COUNTY).first()


def in_force(qs, day: dt.date):
    return qs.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def rules_for(division=None, day: dt.date | None = None) -> Rules:
    """The rules in force on `day` for the county of `division` (a workshop's community, or None)."""
    from django.utils import timezone

    day = day or timezone.localdate()
    county = _county(division)
    rows = in_force(RuleSet.objects.all(), day)
    row = None
    if county is not None:
        row = rows.filter(county=county).order_by("-valid_from").first()
    if row is None:
        row = rows.filter(county__isnull=True).order_by("-valid_from").first()
    return Rules.of(row) if row is not None else Rules()


def overlapping(*, county, valid_from: dt.date, valid_to: dt.date | None, exclude_pk=None):
    qs = RuleSet.objects.filter(county=county).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs
