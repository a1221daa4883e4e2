"""The main figures as monthly series, for the charts on the county and community home pages.

One function per figure, each ONE aggregate query over the records (grouped by month and by the
record's division), whatever the number of months or communities; the same rows give the series by
month and the totals by community. Every figure is counted from records, like core.stats, and kept as a
rollup per scope (`register_rollups`; `charts` reads them for the usual twelve months). Each function:

    fn(*, user, months=12) -> {"by_month": {"2026-01": n, ...}, "by_division": {division_id: n, ...}}

`by_division` is keyed by the record's own division (a community or a grid); `charts` folds it into
communities with one query for the whole page.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONTHS = 12


def month_keys(months: int = MONTHS, *, today: dt.date | None = None) -> list[str]:
    """The last `months` months, oldest first, ending with the current one ("2026-01", …)."""
    today = today or timezone.localdate()
    y, m = today.year, today.month
    keys = []
    for _i in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return keys[::-1]


def _since(months: int) -> dt.datetime:
    first = month_keys(months)[0]
    return dt.datetime(int(first[:4]), int(first[5:]), 1, tzinfo=timezone.get_current_timezone())


def _scoped(model, user):
    from linli.accounts.models import Role

    if user is None:
        return model.objects.all()
    # Counts reveal no one's personal data, so any grant shows its subtree's totals (as core.stats).
    return model.objects.visible_to(user, roles=Role.Kind.values)


def _series(qs, *, when: str, division: str, value=None, months: int) -> dict:
    """The one aggregate query: rows of (month, division, value) since the first of the months."""
    since = _since(months)
    is_date = qs.model._meta.get_field(when).get_internal_type() == "DateField"
    rows = (qs.filter(**{f"{when}__gte": since.date() if is_date else since})
            .annotate(month=TruncMonth(when)).order_by()
            .values("month", division).annotate(v=value if value is not None else Count("pk")))
    by_month, by_division = defaultdict(float), defaultdict(float)
    for row in rows:
        v = float(row["v"] or Decimal(0))
        by_month[f"{row['month']:%Y-%m}"] += v
        by_division[row[division]] += v
    keys = month_keys(months)
    return {"by_month": {k: by_month.get(k, 0) for k in keys}, "by_division": dict(by_division)}


def activity_participants(*, user, months: int = MONTHS) -> dict:
    """Activity participants (person-times): sign-ups checked in, by the month of the check-in."""
    from linli.activities.models import Registration

    qs = _scoped(Registration, user).filter(checked_in_at__isnull=False)
    return _series(qs, when="checked_in_at", division="division", months=months)


def volunteer_hours(*, user, months: int = MONTHS) -> dict:
    """Confirmed volunteer hours, by the month the service began."""
    from linli.volunteers.models import ServiceRecord

    qs = _scoped(ServiceRecord, user).filter(status=ServiceRecord.Status.CONFIRMED)
    return _series(qs, when="start", division="volunteer__division", value=Sum("hours"), months=months)


def cases_raised(*, user, months: int = MONTHS) -> dict:
    """Residents' requests, concerns, disputes and night-talk opinions received, by month."""
    from linli.cases.models import Case

    return _series(_scoped(Case, user), when="created_at", division="division", months=months)


def student_visits(*, user, months: int = MONTHS) -> dict:
    """Four-thirty classroom student-visits (person-times), by the day's month."""
    from linli.classroom.models import Attendance

    return _series(_scoped(Attendance, user), when="date", division="site__division", months=months)


# key, label, unit, function: the charts' order
FIGURES = [
    ("participants", _("Activity participants"), pgettext_lazy("chart unit", "person-times"), activity_participants),
    ("volunteer_hours", _("Confirmed volunteer hours"), pgettext_lazy("chart unit", "hours"), volunteer_hours),
    ("cases", _("Requests and concerns received"), pgettext_lazy("chart unit", "cases"), cases_raised),
    ("student_visits", _("Classroom student-visits"), pgettext_lazy("chart unit", "person-times"), student_visits),
]


def _communities(user):
    from linli.accounts.models import Role
    from linli.divisions.models import Division

    qs = Division.objects.filter(level=Division.Level.COMMUNITY)
    if user is not None:
        qs = qs & Division.objects.visible_to(user, roles=Role.Kind.values)
    return list(qs.order_by("path").values_list("pk", "name", "path"))


def rollup_name(key: str) -> str:
    return f"trends.{key}"


def register_rollups() -> None:
    """Each figure's twelve months are a rollup (core.rollups) per scope: the county home read them
    live, one aggregate over a year of check-ins, 0.5 s on the large county (docs/performance.md)."""
    from linli.core.rollups import register_rollup

    for key, _label, _unit, fn in FIGURES:
        register_rollup(rollup_name(key), lambda who, fn=fn: fn(user=who))


def _from_rollups(user) -> tuple[dict, dt.datetime | None]:
    from linli.core import rollups

    names = [rollup_name(key) for key, *_rest in FIGURES]
    got, as_of = rollups.read(rollups.scope_of(user), names)
    out = {}
    for key, *_rest in FIGURES:
        series = got[rollup_name(key)]
        # Stored as JSON: the division ids came back as strings ("null" for records without one).
        out[key] = {"by_month": series["by_month"],
                    "by_division": {(None if d in (None, "null") else int(d)): v
                                    for d, v in series["by_division"].items()}}
    return out, as_of


def charts(*, user, months: int = MONTHS) -> dict:
    """What the home page's charts draw, as plain JSON-ready data in the current language: month labels,
    each figure by month, and each figure by community (the communities in the user's scope). The usual
    twelve months come from the rollups ("as_of" says when they were counted); other spans are live."""
    from linli.divisions.models import Division

    keys = month_keys(months)
    if months == MONTHS:
        data, as_of = _from_rollups(user)
    else:
        data, as_of = {key: fn(user=user, months=months) for key, _label, _unit, fn in FIGURES}, None
    communities = _communities(user)
    # One query maps every division the series name (grids too) to its community, by path prefix.
    ids = {d for s in data.values() for d in s["by_division"] if d is not None}
    paths = dict(Division.objects.filter(pk__in=ids).values_list("pk", "path"))
    com_of = {}
    for pk, path in paths.items():
        com_of[pk] = next((c for c, _n, cpath in communities if path.startswith(cpath)), None)
    labels = [date_format(dt.date(int(k[:4]), int(k[5:]), 1), "YEAR_MONTH_FORMAT") for k in keys]
    out = {"months": labels, "month_keys": keys, "communities": [name for _pk, name, _p in communities],
           "figures": [], "as_of": as_of.isoformat() if as_of else None}
    for key, label, unit, _fn in FIGURES:
        by_com = defaultdict(float)
        for d, v in data[key]["by_division"].items():
            if com_of.get(d) is not None:
                by_com[com_of[d]] += v
        out["figures"].append({
            "key": key, "label": str(label), "unit": str(unit),
            "by_month": [round(data[key]["by_month"].get(k, 0), 1) for k in keys],
            "by_community": [round(by_com.get(pk, 0), 1) for pk, _n, _p in communities],
            "total": round(sum(data[key]["by_month"].get(k, 0) for k in keys), 1)})
    return out
