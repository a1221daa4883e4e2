"""Lean API lists (decision 0027): a list page read as `values()` rows and turned into JSON by the
serializer's own fields, without a model instance, a related manager or a `get_attribute` walk per
row and field.

A viewset opts in with `LeanListMixin`. The plan is derived from its serializer once per class:
every readable field whose source is a column (of the model or through its foreign keys) becomes a
`values()` lookup converted by that field's own `to_representation`; a many-to-many field is one
query for the page; anything else (a property, a method field) must be named in the viewset's
`lean_computed` — with the lookups it needs — and filled by its `lean_compute(rows)`, or the plan
refuses to build (`ImproperlyConfigured`), so a new serializer field cannot silently go missing.
`linli/core/tests/test_lean.py` asserts, for every lean list, that the rows equal the serializer's.
"""

from dataclasses import dataclass
from dataclasses import field as dc_field

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.settings import api_settings


@dataclass
class _Column:
    name: str
    lookup: str
    convert: object  # the field's to_representation, or None for a primary or slug key as stored
    guard: str | None = None  # a nullable foreign key on the way: when None, DRF's rule for a missing source
    drf_field: object = None


@dataclass
class _Many:
    name: str
    through: object
    source: str  # the through model's column naming the row
    value: str  # the through model's lookup of what is shown
    order: list = dc_field(default_factory=list)


@dataclass
class Plan:
    columns: list
    many: list
    computed: dict
    order: list  # the serializer's field order, for identical JSON

    @property
    def lookups(self) -> list[str]:
        seen = dict.fromkeys(["pk"])
        for col in self.columns:
            seen.setdefault(col.lookup)
            if col.guard:
                seen.setdefault(col.guard)
        for needs in self.computed.values():
            for lookup in needs:
                seen.setdefault(lookup)
        return list(seen)


def _column(model, name, drf_field, annotations) -> _Column:
    attrs = drf_field.source_attrs
    if len(attrs) == 1 and attrs[0] in annotations:
        return _Column(name, attrs[0], drf_field.to_representation, drf_field=drf_field)
    current, path, guard = model, [], None
    for i, attr in enumerate(attrs):
        try:
            f = current._meta.get_field(attr)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"{model.__name__}.{'.'.join(attrs)} is not a column: name {name!r} "
                                       "in the viewset's lean_computed") from None
        last = i == len(attrs) - 1
        if f.many_to_many or f.one_to_many:
            raise ImproperlyConfigured(f"{name!r}: a to-many source; name it in lean_computed")
        path.append(f.name)  # `x_id` or `x`: values() gives the key either way
        if f.is_relation and not last:
            if f.null and guard is None:
                guard = "__".join(path)
            current = f.related_model
            continue
        if f.is_relation and last:
            if isinstance(drf_field, relations.SlugRelatedField):
                return _Column(name, "__".join([*path, drf_field.slug_field]), None, guard, drf_field)
            if isinstance(drf_field, relations.PrimaryKeyRelatedField) and drf_field.pk_field is None:
                return _Column(name, "__".join(path), None, guard, drf_field)
            if not isinstance(drf_field, relations.RelatedField):  # e.g. IntegerField(source="x_id")
                return _Column(name, "__".join(path), drf_field.to_representation, guard, drf_field)
            raise ImproperlyConfigured(f"{name!r}: {type(drf_field).__name__}; name it in lean_computed")
    if isinstance(drf_field, relations.RelatedField):
        raise ImproperlyConfigured(f"{name!r}: {type(drf_field).__name__}; name it in lean_computed")
    return _Column(name, "__".join(path), drf_field.to_representation, guard, drf_field)


def _many(model, name, drf_field) -> _Many:
    child = drf_field.child_relation
    attrs = drf_field.source_attrs
    try:
        m2m = model._meta.get_field(attrs[0])
    except FieldDoesNotExist:
        m2m = None
    if len(attrs) != 1 or m2m is None or not m2m.many_to_many or m2m.auto_created:
        raise ImproperlyConfigured(f"{name!r}: only a model's own many-to-many field is read lean")
    through = m2m.remote_field.through
    source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
    if isinstance(child, relations.SlugRelatedField):
        value = f"{target}__{child.slug_field}"
    elif isinstance(child, relations.PrimaryKeyRelatedField) and child.pk_field is None:
        value = f"{target}_id"
    else:
        raise ImproperlyConfigured(f"{name!r}: {type(child).__name__} items; name it in lean_computed")
    # The serializer lists the related manager's rows in the related model's own order.
    order = []
    for o in m2m.related_model._meta.ordering or ["pk"]:
        desc = o.startswith("-")
        order.append(("-" if desc else "") + f"{target}__{o.lstrip('-')}")
    order.append("pk")
    return _Many(name, through, source, value, order)


def build_plan(serializer, *, computed: dict, annotations=()) -> Plan:
    model = serializer.Meta.model
    columns, many, order = [], [], []
    for name, drf_field in serializer.fields.items():
        if drf_field.write_only:
            continue
        order.append(name)
        if name in computed:
            continue
        if isinstance(drf_field, relations.ManyRelatedField):
            many.append(_many(model, name, drf_field))
        elif isinstance(drf_field, serializers.SerializerMethodField) or drf_field.source == "*":
            raise ImproperlyConfigured(f"{name!r}: a method field; name it in the viewset's lean_computed")
        else:
            columns.append(_column(model, name, drf_field, set(annotations)))
    return Plan(columns, many, dict(computed), order)


def _iso_datetime(tz):
    """DRF's DateTimeField.to_representation for an ISO 8601 output in `tz`, without looking the
    current time zone up again for every value (it is the same for the whole response)."""
    def convert(value):
        if not value:
            return None
        if isinstance(value, str):
            return value
        value = value.astimezone(tz) if timezone.is_aware(value) else timezone.make_aware(value, tz)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return convert


def _converters(plan: Plan) -> list:
    """Each column's converter for this response: the field's own, or the same rule made once."""
    tz = timezone.get_current_timezone() if settings.USE_TZ else None
    out = []
    for col in plan.columns:
        f = col.drf_field
        if (type(f) is serializers.DateTimeField and tz is not None and not hasattr(f, "timezone")
                and getattr(f, "format", api_settings.DATETIME_FORMAT) == ISO_8601):
            out.append(_iso_datetime(tz))
        else:
            out.append(col.convert)
    return out


def rows(plan: Plan, values: list[dict]) -> list[dict]:
    """The JSON rows of `values` (dicts with the plan's lookups); computed fields still missing."""
    out = []
    converters = _converters(plan)
    for v in values:
        row = {"pk": v["pk"]}
        for col, convert in zip(plan.columns, converters, strict=True):
            if col.guard is not None and v[col.guard] is None:
                # DRF: a source through a missing relation is the default, else null, else left out.
                f = col.drf_field
                if f.default is not empty:
                    row[col.name] = f.get_default()
                elif f.allow_null:
                    row[col.name] = None
                continue  # read-only: DRF skips the field
            value = v[col.lookup]
            row[col.name] = None if value is None else value if convert is None else convert(value)
        out.append(row)
    if plan.many and out:
        ids = [r["pk"] for r in out]
        for m in plan.many:
            by_row = {pk: [] for pk in ids}
            pairs = (m.through.objects.filter(**{f"{m.source}__in": ids}).order_by(*m.order)
                     .values_list(m.source, m.value))
            for pk, value in pairs:
                by_row[pk].append(value)
            for r in out:
                r[m.name] = by_row[r["pk"]]
    return out


_PLANS: dict = {}  # by viewset class and annotations: the serializer's fields do not change per request


class LeanListMixin:
    """The list action reads `values()` rows (see the module). A viewset names what its serializer
    computes in `lean_computed = {field: (lookups it needs, …)}` and fills those fields in
    `lean_compute(rows, values)`, where `values` are the raw dicts in the same order."""

    lean = True  # False: the serializer's way (the tests compare the two)
    lean_computed: dict = {}

    def lean_compute(self, rows, values):
        pass

    def lean_plan(self, queryset) -> Plan:
        key = (type(self), tuple(sorted(queryset.query.annotations)))
        if key not in _PLANS:
            _PLANS[key] = build_plan(self.get_serializer(), computed=self.lean_computed,
                                     annotations=queryset.query.annotations)
        return _PLANS[key]

    def lean_rows(self, values, plan) -> list[dict]:
        values = list(values)
        out = rows(plan, values)
        self.lean_compute(out, values)
        return [{name: r[name] for name in plan.order if name in r} for r in out]

    def list(self, request, *args, **kwargs):
        if not self.lean:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        plan = self.lean_plan(queryset)
        # Related rows come from the plan's own lookups: select_related and prefetch_related are
        # the serializer's way and are dropped here.
        base = queryset.select_related(None).prefetch_related(None)
        values = base.values(*plan.lookups)
        # Counted without the columns' joins: a values() lookup through a foreign key joins its table,
        # and the capped count then joined a thousand rows to it for a number (Pagination).
        self.lean_count_source = base
        page = self.paginate_queryset(values)
        if page is not None:
            return self.get_paginated_response(self.lean_rows(page, plan))
        return Response(self.lean_rows(values, plan))
