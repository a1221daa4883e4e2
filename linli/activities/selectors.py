"""Reads for activities: scoped querysets for pages and the API, the calendar, the ledger, the figures."""

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Min,
    Prefetch,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.models import ORGANISER_ROLES, Activity, Occurrence, Registration, Review
from linli.core.paging import row_count
from linli.core.scoping import ancestor_division_ids, scope_paths
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.places.models import Site

CONFIRMED = Q(registrations__status=Registration.Status.CONFIRMED)
WAITLISTED = Q(registrations__status=Registration.Status.WAITLISTED)
ATTENDED = Q(registrations__checked_in_at__isnull=False)


def can_organise_any(user) -> bool:
    return user.is_superuser or bool(scope_paths(user, ORGANISER_ROLES))


def organised_sites(*, user):
    """Sites where the user may create activities."""
    return Site.objects.visible_to(user, roles=ORGANISER_ROLES).select_related("division")


def organizer_choices(*, user):
    """Organisations the user can name as organisers: those in their scope and those above it (the
    county's trade union, Youth League and Women's Federation co-organise everywhere)."""
    return Organization.objects.visible_to(user).order_by("kind", "name")


def activity_list(*, user):
    return (Activity.objects.visible_to(user)
            .select_related("site__division", "room", "platform", "method", "delivery", "team"))


def occurrence_list(*, user):
    """Occurrences with what a card shows: seats taken, waitlist, attendance."""
    return _with_counts(Occurrence.objects.visible_to(user)
                        .select_related("activity__site__division", "activity__platform", "activity__method",
                                        "activity__delivery", "room"))


def _with_counts(occurrences):
    return occurrences.annotate(confirmed=_registrations(status=Registration.Status.CONFIRMED),
                                waitlisted=_registrations(status=Registration.Status.WAITLISTED),
                                attended=_registrations(checked_in_at__isnull=False))


def _registrations(**condition):
    """An occurrence's registrations meeting `condition`, counted for the shown rows only (the
    (occurrence, status) index), not grouped over every coming date before a page of them."""
    return row_count(Registration, "occurrence", **condition)


def occurrence_detail(*, user):
    return occurrence_list(user=user).prefetch_related("activity__organizers")


def upcoming(*, user, site=None, division=None, platform=None, limit=None):
    now = timezone.now()
    # The cards name the site, not its community: no division row (and its boundary) per card.
    qs = (occurrence_list(user=user).select_related(None)
          .select_related("activity__site", "activity__platform", "activity__method", "activity__delivery", "room")
          .filter(end__gte=now).order_by("start"))
    if connection.vendor == "postgresql":
        # Every date still to come starts at or after the earliest start among them: with that bound
        # PostgreSQL reads the coming dates from the (end, start) index and sorts a few hundred,
        # instead of walking two years of past dates in start order that `end >= now` then rejects
        # (12 ms → 4 ms on the large county). `start + 0` keeps MIN off that same walk (MIN(start)
        # alone is planned as the first row of the start index meeting the filter).
        first = Occurrence.objects.filter(end__gte=now).aggregate(
            first=Min(ExpressionWrapper(F("start") + dt.timedelta(0), output_field=DateTimeField())))["first"]
        if first is not None:
            qs = qs.filter(start__gte=first)
    if site is not None:
        qs = qs.filter(activity__site=site)
    if division is not None:
        qs = qs.filter(activity__site__division__path__startswith=division.path)
    if platform is not None:
        qs = qs.filter(activity__platform=platform)
    return qs[:limit] if limit else qs


def cards(keys):
    """The occurrences `keys` (already chosen in scope) with what a card shows: the list's page is
    chosen from keys alone (`page_of(..., details=cards)`), without these joins and counts."""
    return _with_counts(Occurrence.objects.filter(pk__in=keys).select_related(
        "activity__site", "activity__platform", "activity__method", "activity__delivery", "room"))


def upcoming_dates(activity_ids, *, limit: int) -> list[tuple[int, int]]:
    """(activity id, occurrence id) of the next `limit` dates of each activity that have not ended,
    in date order: one query, a window per activity (the API's activity list)."""
    ranked = (Occurrence.objects.filter(activity_id__in=activity_ids, end__gt=timezone.now())
              .annotate(rank=Window(RowNumber(), partition_by=[F("activity_id")], order_by=[F("start"), F("pk")]))
              .filter(rank__lte=limit).order_by("activity_id", "start", "pk"))
    return list(ranked.values_list("activity_id", "pk"))


def my_registrations(*, user):
    return (Registration.objects.filter(person__user=user).exclude(status=Registration.Status.CANCELLED)
            .select_related("occurrence__activity__site", "review").order_by("-occurrence__start"))


def my_registration_for(*, user, occurrence):
    if not user.is_authenticated:
        return None
    return (Registration.objects.filter(occurrence=occurrence, person__user=user,
                                        status__in=Registration.ACTIVE).select_related("review").first())


def waitlist_position(registration: Registration) -> int:
    return Registration.objects.filter(occurrence_id=registration.occurrence_id, status=Registration.Status.WAITLISTED,
                                       pk__lte=registration.pk).count()


def roster(*, occurrence):
    return (occurrence.registrations.exclude(status=Registration.Status.CANCELLED)
            .select_related("person", "checked_in_by").order_by("status", "pk"))


def review_summary(*, occurrence) -> dict:
    agg = occurrence.reviews.aggregate(avg=Avg("rating"), n=Count("pk"))
    return {"average": agg["avg"], "count": agg["n"],
            "reviews": occurrence.reviews.select_related("registration__person").order_by("-created_at")[:50]}


def communities(*, user):
    """Communities for the calendar filter: those in the user's scope and their own community."""
    visible = Division.objects.visible_to(user).values("pk")
    return Division.objects.filter(level=Division.Level.COMMUNITY).filter(
        Q(pk__in=visible) | Q(pk__in=sorted(ancestor_division_ids(user))))


# Calendar -----------------------------------------------------------------------------------------

def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt


def calendar(*, user, view: str, day: dt.date, site=None, division=None) -> dict:
    """Occurrences for a month (a Monday-first grid), a week, or the list from `day` on, in one query."""
    tz = timezone.get_current_timezone()
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=7)
        prev, nxt = first - dt.timedelta(days=7), last
    elif view == "list":
        first, last = day, day + dt.timedelta(days=31)
        prev, nxt = day - dt.timedelta(days=31), last
    else:
        first, last = month_bounds(day)
        prev, nxt = month_bounds(first - dt.timedelta(days=1))[0], last
    qs = occurrence_list(user=user).filter(
        start__gte=dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        start__lt=dt.datetime.combine(last, dt.time.min, tzinfo=tz)).order_by("start")
    if site is not None:
        qs = qs.filter(activity__site=site)
    if division is not None:
        qs = qs.filter(activity__site__division__path__startswith=division.path)
    by_day = defaultdict(list)
    occurrences = list(qs)
    for occ in occurrences:
        by_day[timezone.localtime(occ.start).date()].append(occ)
    today = timezone.localdate()
    weeks = []
    if view == "month":
        start = first - dt.timedelta(days=first.weekday())
        while start < last:
            weeks.append([{"date": start + dt.timedelta(days=i), "in_month": (start + dt.timedelta(days=i)).month == first.month,
                           "today": start + dt.timedelta(days=i) == today,
                           "items": by_day.get(start + dt.timedelta(days=i), [])} for i in range(7)])
            start += dt.timedelta(days=7)
    days = [{"date": d, "today": d == today, "items": by_day[d]} for d in sorted(by_day)]
    if view == "week":
        days = [{"date": first + dt.timedelta(days=i), "today": first + dt.timedelta(days=i) == today,
                 "items": by_day.get(first + dt.timedelta(days=i), [])} for i in range(7)]
    return {"view": view, "first": first, "last": last - dt.timedelta(days=1), "prev": prev, "next": nxt,
            "weeks": weeks, "days": days, "occurrences": occurrences}


def ical_occurrences(*, site, since: dt.datetime):
    return (Occurrence.objects.filter(activity__site=site, start__gte=since)
            .select_related("activity__site", "room", "activity__platform").order_by("start")[:500])


# Ledger -------------------------------------------------------------------------------------------

def ledger_rows(*, user, month: dt.date, division=None) -> list[dict]:
    """The monthly civilization-practice activity ledger (文明实践活动台账), from records only."""
    from linli.volunteers.models import ServiceRecord

    tz = timezone.get_current_timezone()
    first, nxt = month_bounds(month)
    qs = (Occurrence.objects.visible_to(user, roles=ORGANISER_ROLES)
          .filter(status=Occurrence.Status.SCHEDULED,
                  start__gte=dt.datetime.combine(first, dt.time.min, tzinfo=tz),
                  start__lt=dt.datetime.combine(nxt, dt.time.min, tzinfo=tz))
          .select_related("activity__site", "activity__platform", "activity__method", "activity__delivery")
          .prefetch_related("activity__organizers")
          .annotate(attended=Count("registrations", filter=ATTENDED, distinct=True))
          .order_by("start"))
    if division is not None:
        qs = qs.filter(activity__site__division__path__startswith=division.path)
    occurrences = list(qs)
    vol = {row["occurrence_id"]: row for row in ServiceRecord.objects.filter(
        occurrence__in=[o.pk for o in occurrences], status=ServiceRecord.Status.CONFIRMED)
        .values("occurrence_id").annotate(n=Count("volunteer", distinct=True), h=Sum("hours"))}
    rows = []
    for o in occurrences:
        a = o.activity
        v = vol.get(o.pk, {})
        rows.append({"date": timezone.localtime(o.start), "end": timezone.localtime(o.end), "site": a.site.name,
                     "title": a.title, "platform": str(a.platform), "method": str(a.method),
                     "delivery": str(a.delivery) if a.delivery else "",
                     "organizers": "、".join(org.name for org in a.organizers.all()),
                     "participants": o.attended, "volunteers": v.get("n", 0), "hours": float(v.get("h") or 0)})
    return rows


# Figures ------------------------------------------------------------------------------------------

def figures(user=None) -> dict:
    """`linli stats` section "activities": counted from records (None = the whole database)."""
    if user is None:
        activities, occurrences = Activity.objects.all(), Occurrence.objects.all()
        registrations, reviews = Registration.objects.all(), Review.objects.all()
    else:
        roles = Role.Kind.values  # counts reveal no one's personal data
        activities = Activity.objects.visible_to(user, roles=roles)
        occurrences = Occurrence.objects.visible_to(user, roles=roles)
        registrations = Registration.objects.visible_to(user, roles=roles)
        reviews = Review.objects.visible_to(user, roles=roles)

    def by(field):
        return {row[field]: row["n"] for row in activities.order_by().values(field).annotate(n=Count("pk"))
                .order_by(field) if row[field]}

    avg = reviews.aggregate(a=Avg("rating"))["a"]
    return {
        "total": activities.count(),
        "occurrences": occurrences.filter(status=Occurrence.Status.SCHEDULED).count(),
        "participants": registrations.filter(checked_in_at__isnull=False).count(),
        "by_platform": by("platform__code"),
        "by_method": by("method__code"),
        "by_delivery": by("delivery__code"),
        "average_review": round(float(avg), 2) if avg is not None else None,
    }


def prefetch_shifts(qs):
    from linli.volunteers.models import Shift

    return qs.prefetch_related(Prefetch("shifts", queryset=Shift.objects.order_by("start")))


# Public -------------------------------------------------------------------------------------------

def public_occurrences(*, start: dt.datetime, end: dt.datetime, site=None, division=None):
    """Scheduled dates between start and end for the pages without login: activities are public, and
    these carry no one's personal data (no registrations, no organisers' names)."""
    qs = (Occurrence.objects.filter(status=Occurrence.Status.SCHEDULED, start__gte=start, start__lt=end)
          .select_related("activity__site__division", "activity__platform", "room").order_by("start", "pk"))
    if site is not None:
        qs = qs.filter(activity__site=site)
    if division is not None:
        qs = qs.filter(activity__site__division__path__startswith=division.path)
    return qs
