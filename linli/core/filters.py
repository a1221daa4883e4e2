"""Filters for every API list: django-filter's backend with ids bounded to what a database holds.
Its own module: DRF reads DEFAULT_FILTER_BACKENDS while `rest_framework.generics` is imported."""

import datetime as dt

import django_filters
import django_filters.fields
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend

# The largest primary key any database we run on can hold (a signed 64-bit integer): a larger number
# is not "no match" but an OverflowError deep in the driver, so filters reject it as bad input.
ID_MAX = 2**63 - 1


def _check_id(value):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return  # not a number at all: the field itself says so
    if not -ID_MAX <= number <= ID_MAX:
        raise ValidationError(_("%(value)s is not a valid id.") % {"value": str(value)[:30]},
                                    code="invalid_pk_value")


class _IdChoiceField(django_filters.fields.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            _check_id(value)
        return super().to_python(value)


class _IdMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        for v in value:
            _check_id(v)
        return super()._check_values(value)


def _check_when(value):
    """A date or time to filter by: years 1000–9999 and a real UTC offset (PostgreSQL refuses more
    than ±15:59, so "+18:17" was a DataError)."""
    values = [value.start, value.stop] if isinstance(value, slice) else [value]
    for v in values:
        if v is None:
            continue
        offset = v.utcoffset() if isinstance(v, dt.datetime) else None
        if not 1000 <= v.year <= 9999 or (offset is not None and abs(offset) > dt.timedelta(hours=14)):
            raise ValidationError(_("%(value)s is not a date or time this can filter by.") % {"value": str(v)[:40]},
                                  code="date_range")


_WHEN_FILTERS = (django_filters.DateFilter, django_filters.DateTimeFilter, django_filters.IsoDateTimeFilter,
                 django_filters.DateFromToRangeFilter, django_filters.DateTimeFromToRangeFilter,
                 django_filters.IsoDateTimeFromToRangeFilter)


def bound_filters(filterset) -> None:
    """Every number and id filter of a filterset accepts only what fits in a database integer, and
    every date or time filter only what a database can compare."""
    for f in filterset.filters.values():
        if isinstance(f, _WHEN_FILTERS):
            f.extra["validators"] = [*f.extra.get("validators", []), _check_when]
        elif isinstance(f, django_filters.NumberFilter):
            f.extra.setdefault("max_value", ID_MAX)
            f.extra.setdefault("min_value", -ID_MAX)
        elif isinstance(f, django_filters.ModelMultipleChoiceFilter):
            f.field_class = _IdMultipleChoiceField
        elif isinstance(f, django_filters.ModelChoiceFilter):
            f.field_class = _IdChoiceField
        else:
            continue
        f.__dict__.pop("_field", None)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (the project default) with `bound_filters` applied to every filterset,
    declared or generated from `filterset_fields`, so no endpoint needs its own check."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            bound_filters(filterset)
        return filterset
