"""Reads for volunteer service: scoped querysets, a volunteer's summary (hours, stars, points), figures."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.models import ORGANISER_ROLES
from linli.core.memo import per_request
from linli.core.paging import row_count
from linli.core.scoping import scope_paths
from linli.volunteers.models import (
    PointsEntry,
    Reward,
    ServiceRecord,
    Shift,
    ShiftSignup,
    Volunteer,
    star_thresholds,
    stars_for,
)

CONFIRMED_HOURS = Sum("records__hours", filter=Q(records__status=ServiceRecord.Status.CONFIRMED))


def can_organise_any(user) -> bool:
    return user.is_superuser or bool(scope_paths(user, ORGANISER_ROLES))


@per_request
def volunteer_of(user) -> Volunteer | None:
    if not user.is_authenticated:
        return None
    return Volunteer.objects.filter(person__user=user).select_related("person", "division").first()


def volunteer_list(*, user, q: str = "", team=None):
    qs = (Volunteer.objects.visible_to(user).select_related("person", "division").prefetch_related("teams")
          .annotate(hours=CONFIRMED_HOURS).order_by("number"))
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(number__icontains=q) | Q(skills__icontains=q))
    if team is not None:
        qs = qs.filter(teams=team)
    return qs


def hours_by_source(records) -> dict[str, Decimal]:
    """The hours of `records` by where they came from, in the order of ServiceRecord.Source; a reversal
    counts against the source of the record it reverses, so the parts add up to the total."""
    # Two sums rather than one over COALESCE(reversed record's source, source): the outer join to the
    # reversed records was planned as a hash join over every service record of the county (a
    # sequential scan of 118,000 rows for one volunteer's page); the reversals alone join by key.
    records = records.order_by()
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for source, h in (records.filter(reverses__isnull=True).values("source").annotate(h=Sum("hours"))
                      .values_list("source", "h")):
        sums[source] += h or 0
    for source, h in (records.filter(reverses__isnull=False).values("reverses__source").annotate(h=Sum("hours"))
                      .values_list("reverses__source", "h")):
        sums[source] += h or 0
    return {s: sums[s] for s in ServiceRecord.Source.values if sums.get(s)}


def source_lines(by_source: dict) -> list[tuple[str, Decimal]]:
    """(label, hours) in the order of ServiceRecord.Source, for showing hours_by_source (also as stored
    on a certificate, whose JSON keys PostgreSQL does not keep in order)."""
    return [(label, Decimal(by_source[s])) for s, label in ServiceRecord.Source.choices if s in by_source]


def summary(volunteer: Volunteer) -> dict:
    """What the volunteer's phone page shows at the top: hours (and where they came from), stars, the
    next star, points."""
    confirmed = volunteer.records.filter(status=ServiceRecord.Status.CONFIRMED)
    sums = volunteer.records.aggregate(
        confirmed=Sum("hours", filter=Q(status=ServiceRecord.Status.CONFIRMED)),
        pending=Sum("hours", filter=Q(status=ServiceRecord.Status.PENDING)))
    hours = sums["confirmed"] or Decimal(0)
    pending = sums["pending"] or Decimal(0)
    stars = stars_for(hours)
    thresholds = star_thresholds()
    nxt = thresholds[stars] if stars < len(thresholds) else None
    return {"hours": hours, "pending_hours": pending, "stars": stars, "star_range": range(stars),
            "next_star_at": nxt, "to_next_star": (nxt - hours) if nxt is not None else None,
            "by_source": source_lines(hours_by_source(confirmed)),
            "points": volunteer.points_entries.aggregate(s=Sum("amount"))["s"] or 0}


def upcoming_signups(volunteer: Volunteer):
    return (volunteer.signups.filter(status=ShiftSignup.Status.CONFIRMED, shift__end__gte=timezone.now())
            .select_related("shift__occurrence__activity__site").order_by("shift__start"))


def history(volunteer: Volunteer):
    return volunteer.records.select_related("occurrence__activity", "verified_by").order_by("-start", "-pk")


def open_shifts(*, user):
    """Shifts still to come, with places taken, that the user can see."""
    return (Shift.objects.visible_to(user)
            .filter(start__gt=timezone.now(), occurrence__status="scheduled")
            .select_related("occurrence__activity__site", "occurrence__activity__team")
            .annotate(taken=_taken())
            .order_by("start"))


def shift_detail(*, user):
    return (Shift.objects.visible_to(user).select_related("occurrence__activity__site__division")
            .annotate(taken=_taken()))


def _taken():
    """A shift's confirmed sign-ups, counted for the shifts a page shows (core.paging.row_count)."""
    return row_count(ShiftSignup, "shift", status=ShiftSignup.Status.CONFIRMED)


def shift_roster(shift: Shift):
    return shift.signups.select_related("volunteer__person").order_by("status", "pk")


def pending_records(*, user):
    return (ServiceRecord.objects.visible_to(user, roles=ORGANISER_ROLES).filter(status=ServiceRecord.Status.PENDING)
            .select_related("volunteer__person", "occurrence__activity", "recorded_by").order_by("start"))


def record_list(*, user):
    return ServiceRecord.objects.visible_to(user).select_related("volunteer__person", "occurrence__activity",
                                                                 "verified_by", "recorded_by")


def rewards(*, user):
    return Reward.objects.visible_to(user).filter(active=True).select_related("division")


def ledger(volunteer: Volunteer):
    return volunteer.points_entries.select_related("rule", "redemption__reward").order_by("-created_at", "-pk")


def figures(user=None) -> dict:
    """`linli stats` section "volunteers": counted from records (None = the whole database)."""
    if user is None:
        volunteers, records, entries = Volunteer.objects.all(), ServiceRecord.objects.all(), PointsEntry.objects.all()
    else:
        roles = Role.Kind.values
        volunteers = Volunteer.objects.visible_to(user, roles=roles)
        records = ServiceRecord.objects.visible_to(user, roles=roles)
        entries = PointsEntry.objects.visible_to(user, roles=roles)
    by_team = {row["teams__code"]: row["n"] for row in volunteers.filter(teams__isnull=False).order_by()
               .values("teams__code").annotate(n=Count("pk", distinct=True)).order_by("teams__code")}
    hours = records.filter(status=ServiceRecord.Status.CONFIRMED).aggregate(s=Sum("hours"))["s"] or Decimal(0)
    by_star = {str(n): 0 for n in range(len(star_thresholds()) + 1)}
    per_volunteer = volunteers.order_by().annotate(h=CONFIRMED_HOURS).values_list("h", flat=True)
    for h in per_volunteer:
        by_star[str(stars_for(h or 0))] += 1
    return {
        "total": volunteers.count(),
        "by_team": by_team,
        "confirmed_hours": float(hours),
        "by_star": by_star,
        "points_outstanding": entries.aggregate(s=Sum("amount"))["s"] or 0,
    }


def my_signups_at(*, user, occurrence):
    """The user's active shift sign-ups at an occurrence (shown on the door check-in page)."""
    if not user.is_authenticated:
        return []
    return list(ShiftSignup.objects.filter(volunteer__person__user=user, shift__occurrence=occurrence,
                                           status=ShiftSignup.Status.CONFIRMED).select_related("shift"))
