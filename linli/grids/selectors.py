"""Reads for grids: scoped querysets, the overdue list, special groups, campaign reach reports,
households whose location disagrees with their grid, and the `visits` / `campaigns` figures."""

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from linli.accounts.models import Role
from linli.core.scoping import has_role_over, path_q, role_kinds
from linli.divisions.models import Division
from linli.grids.geometry import GridLocator
from linli.grids.models import Campaign, GridAssignment, Reach, Visit
from linli.people.models import CareTag, Household, Membership, Person


def _today():
    return timezone.localdate()


def can_manage(user, division) -> bool:
    """Community staff (or the county) over `division`: boundaries, assignments, campaigns."""
    return has_role_over(user, Role.STAFF, division)


def can_record(user, division) -> bool:
    return has_role_over(user, Role.PEOPLE_KEEPERS, division)


def is_grid_worker(user) -> bool:
    return Role.Kind.GRID_WORKER in role_kinds(user)


def _current_assignments():
    today = _today()
    return Prefetch("grid_assignments", to_attr="current_assignments",
                    queryset=GridAssignment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today),
                                                           start_date__lte=today).select_related("user"))


def grid_list(*, user, community: Division | None = None):
    """Grids the user keeps residents in, with their current workers and household counts."""
    qs = (Division.objects.visible_to(user, roles=Role.PEOPLE_KEEPERS).filter(level=Division.Level.GRID)
          .select_related("parent").annotate(household_count=Count("households", distinct=True))
          .prefetch_related(_current_assignments()))
    if community is not None:
        qs = qs.filter(path__startswith=community.path)
    return qs


def unstaffed_grids(*, user):
    """Grids the user keeps residents in that have no current grid worker."""
    today = _today()
    staffed = GridAssignment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), grid=OuterRef("pk"),
                                            start_date__lte=today)
    return (Division.objects.visible_to(user, roles=Role.PEOPLE_KEEPERS).filter(level=Division.Level.GRID)
            .filter(~Exists(staffed)))


def grid_get(*, user, pk: int) -> Division:
    return grid_list(user=user).get(pk=pk)


def my_grids(*, user):
    """The grids where the user is a grid worker (their own grids)."""
    return Division.objects.visible_to(user, roles=[Role.Kind.GRID_WORKER]).filter(level=Division.Level.GRID)


# Other apps add households to the grid worker's next visits (a workshop worker's household whose
# income fell): fn(*, grids, today) -> rows with household_id, address and text (why to look in).
_VISIT_PROMPTS: list = []


def register_visit_prompt(fn) -> None:
    if fn not in _VISIT_PROMPTS:
        _VISIT_PROMPTS.append(fn)


def visit_prompts(*, grids, today: dt.date | None = None, limit: int = 20) -> list:
    """The households other apps ask the grid worker to look in on, in the worker's grids."""
    today = today or _today()
    out = []
    for fn in _VISIT_PROMPTS:
        out.extend(fn(grids=grids, today=today))
    return out[:limit]


# Cadence and overdue --------------------------------------------------------------------------------

def cadence_households(*, user=None, division: Division | None = None):
    """Households with a current member whose care tag has a visit cadence, annotated with `cadence`
    (the shortest of their members' cadences, in days) and `last_visit` (date or None)."""
    # Care visits are work by role: not the user's own household where they hold no role (own=False).
    qs = Household.objects.all() if user is None else Household.objects.visible_to(user, own=False)
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    # The latest visit as the first row of the (household, visited_on desc) index, not a MAX over
    # every visit of the household.
    latest = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    # filter() before annotate(): Min runs over the current members' tags only.
    return (qs.filter(memberships__end_date__isnull=True,
                      memberships__person__care_tags__visit_every_days__isnull=False)
            .annotate(cadence=Min("memberships__person__care_tags__visit_every_days"),
                      last_visit=Subquery(latest)))


def _overdue_q(today: dt.date) -> Q:
    # One condition per cadence in use (care tags are few), so "last visit + cadence < today" stays in SQL
    # on SQLite and PostgreSQL alike.
    q = Q(last_visit__isnull=True)
    for days in CareTag.objects.filter(visit_every_days__isnull=False).values_list(
            "visit_every_days", flat=True).distinct():
        q |= Q(cadence=days, last_visit__lt=today - dt.timedelta(days=days))
    return q


def overdue_households(*, user=None, division: Division | None = None, today: dt.date | None = None):
    """Households whose care visit is overdue (never visited, or last visit longer ago than the
    cadence), oldest first; `due_on` is set on each row by `with_due`."""
    today = today or _today()
    return (cadence_households(user=user, division=division).filter(_overdue_q(today))
            .select_related("division").order_by("last_visit", "division__path", "address"))


def overdue_first(*, user, grids, limit: int, today: dt.date | None = None) -> tuple[list, int]:
    """The grid worker's home: the first `limit` of `overdue_households(user)` in `grids`, in its order,
    and how many there are. The grids' cadence households are read once with their latest visit
    (a few hundred keys) and the overdue test and order applied here: in SQL the test is one condition
    per cadence in use, each reading the latest visit again, and a COUNT read them all a second time."""
    today = today or _today()
    keys = [(pk, cadence, last, path, address) for pk, cadence, last, path, address in
            cadence_households(user=user).filter(division__in=grids)
            .values_list("pk", "cadence", "last_visit", "division__path", "address")
            if last is None or last < today - dt.timedelta(days=cadence)]
    # overdue_households' order: by last visit (never visited last, as PostgreSQL sorts NULL; SQLite
    # sorts it first), then grid and address.
    nulls_last = connection.vendor == "postgresql"
    keys.sort(key=lambda k: ((k[2] is None) == nulls_last, k[2] or dt.date.min, k[3], k[4]))
    shown = {pk: (cadence, last) for pk, cadence, last, _p, _a in keys[:limit]}
    rows = {h.pk: h for h in Household.objects.filter(pk__in=shown).select_related("division")}
    out = []
    for pk, (cadence, last) in shown.items():
        if pk in rows:
            h = rows[pk]
            h.cadence, h.last_visit = cadence, last
            out.append(h)
    return with_due(out, today), len(keys)


def with_due(households, today: dt.date | None = None) -> list:
    today = today or _today()
    rows = list(households)
    for h in rows:
        h.due_on = h.last_visit + dt.timedelta(days=h.cadence) if h.last_visit else None
        h.days_overdue = (today - h.due_on).days if h.due_on else None
    return rows


def special_groups(*, user, grid: Division, tag: CareTag | None = None):
    """Persons with a care tag in the grid, with their household and its last visit (masked fields only)."""
    current = Membership.objects.filter(person=OuterRef("pk"), end_date__isnull=True)
    last = (Visit.objects.filter(household_id=Subquery(current.values("household_id")[:1]))
            .order_by("-visited_on").values("visited_on")[:1])
    qs = (Person.objects.visible_to(user).filter(division__path__startswith=grid.path, care_tags__isnull=False)
          .annotate(household_id=Subquery(current.values("household_id")[:1]),
                    household_address=Subquery(current.values("household__address")[:1]),
                    last_visit=Subquery(last),
                    cadence=Min("care_tags__visit_every_days"))
          .prefetch_related("care_tags").order_by("name", "pk"))
    if tag is not None:
        qs = qs.filter(pk__in=Person.objects.filter(care_tags=tag).values("pk"))
    return qs


# Visits ---------------------------------------------------------------------------------------------

def visit_list(*, user, household: Household | None = None):
    qs = Visit.objects.visible_to(user).select_related("household", "met", "recorded_by", "division")
    return qs.filter(household=household) if household is not None else qs


def visits_by(*, user, day: dt.date | None = None):
    return visit_list(user=user).filter(recorded_by=user, visited_on=day or _today())


# Campaigns ------------------------------------------------------------------------------------------

def campaign_list(*, user):
    return Campaign.objects.visible_to(user).select_related("division").prefetch_related("scope")


def running_campaigns(*, user=None, today: dt.date | None = None):
    today = today or _today()
    qs = Campaign.objects.all() if user is None else Campaign.objects.visible_to(user)
    return qs.filter(starts_on__lte=today, deadline__gte=today)


def campaigns_to_deliver(*, user, household: Household, today: dt.date | None = None) -> list[Campaign]:
    """Running campaigns that allow a home visit, cover this household and have not reached it yet:
    what a visit to it can deliver at the same time."""
    from linli.grids.services import in_campaign_scope

    running = running_campaigns(user=user, today=today).exclude(reaches__household=household).prefetch_related("scope")
    return [c for c in running if Campaign.Method.VISIT in c.methods and in_campaign_scope(c, household.division)]


def campaign_households(*, campaign: Campaign, user=None):
    """The households the campaign must reach (those the user may see, when a user is given)."""
    qs = (Household.objects.all() if user is None
          else Household.objects.visible_to(user, roles=Role.PEOPLE_KEEPERS, own=False))  # work by role
    paths = [d.path for d in campaign.scope.all()]
    return qs.filter(path_q("division__path", paths))


@dataclass
class GridProgress:
    grid: Division
    total: int = 0
    reached: int = 0

    @property
    def unreached(self) -> int:
        return self.total - self.reached

    @property
    def share(self) -> float:
        return self.reached / self.total if self.total else 1.0

    @property
    def percent(self) -> int:
        return int(self.share * 100)


@dataclass
class CampaignReport:
    campaign: Campaign
    grids: list
    communities: list

    @property
    def total(self) -> int:
        return sum(g.total for g in self.grids)

    @property
    def reached(self) -> int:
        return sum(g.reached for g in self.grids)

    @property
    def unreached_count(self) -> int:
        return self.total - self.reached

    @property
    def percent(self) -> int:
        return int(100 * self.reached / self.total) if self.total else 100


def _reached(campaign: Campaign):
    return Exists(Reach.objects.filter(campaign=campaign, household=OuterRef("pk")))


def campaign_report(*, user, campaign: Campaign) -> CampaignReport:
    """Per grid (the households' division): how many households and how many reached, counted by the
    database (one row per grid, whatever the county's size). Communities roll up their grids. The
    households not yet reached are a list of their own: `campaign_unreached`."""
    rows = (campaign_households(campaign=campaign, user=user).order_by().values("division_id")
            .annotate(total=Count("pk"), reached=Count("pk", filter=_reached(campaign))))
    counts = {r["division_id"]: r for r in rows}
    divisions = Division.objects.filter(pk__in=counts).select_related("parent").order_by("path")
    grids = [GridProgress(grid=d, total=counts[d.pk]["total"], reached=counts[d.pk]["reached"]) for d in divisions]
    communities: OrderedDict[int, GridProgress] = OrderedDict()
    for row in grids:
        com = row.grid if row.grid.level == Division.Level.COMMUNITY else row.grid.parent
        c = communities.setdefault(com.pk, GridProgress(grid=com))
        c.total += row.total
        c.reached += row.reached
    return CampaignReport(campaign=campaign, grids=grids, communities=list(communities.values()))


def campaign_unreached(*, user, campaign: Campaign, grid: Division | None = None):
    """The households of the campaign's scope (that the user may see) not yet reached, grid by grid and
    address by address; `grid` narrows it to one grid's households."""
    qs = campaign_households(campaign=campaign, user=user).filter(~_reached(campaign))
    if grid is not None:
        qs = qs.filter(division=grid)
    return qs.select_related("division").order_by("division__path", "address", "pk")


def open_campaign_households(*, user, today: dt.date | None = None, limit: int = 20) -> list[tuple[Campaign, list, int]]:
    """For a grid worker's home: each running campaign with the first `limit` households of their grids not
    yet reached, and how many there are in all (the campaign's page lists the rest)."""
    out = []
    grids = list(my_grids(user=user).values_list("path", flat=True))
    if not grids:
        return out
    for campaign in running_campaigns(user=user, today=today).prefetch_related("scope"):
        todo = (campaign_households(campaign=campaign, user=user).filter(path_q("division__path", grids))
                .filter(~_reached(campaign))  # per household by the (campaign, household) index: an IN
                # over the campaign's reaches hashed every reach of the county (docs/performance.md)
                .order_by("division__path", "address", "pk"))
        # The keys once (bounded by the worker's grids), then the shown households by id: no COUNT
        # reading the same households again.
        keys = list(todo.values_list("pk", flat=True))
        shown = {h.pk: h for h in Household.objects.filter(pk__in=keys[:limit]).select_related("division")}
        out.append((campaign, [shown[pk] for pk in keys[:limit] if pk in shown], len(keys)))
    return out


# Locations ------------------------------------------------------------------------------------------

def location_mismatches(*, user, division: Division | None = None) -> list:
    """Households whose coordinates fall outside their grid's polygon (only grids with a boundary),
    each with `.located_in` set to the grid the point falls in (or None)."""
    grids = Division.objects.visible_to(user, roles=Role.PEOPLE_KEEPERS).filter(level=Division.Level.GRID)
    if division is not None:
        # Neighbours matter too: a household of grid 1 standing in grid 2 names grid 2.
        com = division if division.level != Division.Level.GRID else division.parent
        grids = grids.filter(path__startswith=com.path if com else division.path)
    grids = list(grids.filter(boundary__isnull=False).only("pk", "name", "boundary", "parent_id"))
    locator = GridLocator(grids)
    names = {g.pk: g for g in grids}
    qs = (Household.objects.visible_to(user).filter(lat__isnull=False, lng__isnull=False,
                                                    division_id__in=[g.pk for g in grids])
          .select_related("division").only("pk", "address", "lat", "lng", "division__name", "division__path"))
    if division is not None:
        qs = qs.filter(division__path__startswith=division.path)
    out = []
    for h in qs.order_by("division__path", "address"):
        if locator.has(h.division_id) and not locator.inside(h.division_id, h.lat, h.lng):
            found = [names[i] for i in locator.grids_at(h.lat, h.lng)]
            # Where two communities' grids overlap, the one in the household's own community is the likelier.
            found.sort(key=lambda g: g.parent_id != names[h.division_id].parent_id)
            h.located_in = found[0] if found else None
            out.append(h)
    return out


# Figures --------------------------------------------------------------------------------------------

def _scoped(model, user):
    return model.objects.all() if user is None else model.objects.visible_to(user, roles=Role.Kind.values)


def visits_figures(user=None) -> dict:
    today = _today()
    visits = _scoped(Visit, user)
    overdue = (cadence_households() if user is None else
               cadence_households().filter(pk__in=_scoped(Household, user).values("pk")))
    return {
        "total": visits.count(),
        "last_30_days": visits.filter(visited_on__gt=today - dt.timedelta(days=30)).count(),
        "overdue_care_visits": overdue.filter(_overdue_q(today)).count(),
    }


def campaigns_figures(user=None) -> dict:
    """`households_reached_share` and `households_unreached` are over running campaigns: a household in
    two running campaigns counts in each."""
    campaigns = _scoped(Campaign, user)
    running = list(campaigns.filter(starts_on__lte=_today(), deadline__gte=_today()).prefetch_related("scope"))
    total = reached = 0
    for campaign in running:
        households = campaign_households(campaign=campaign)
        if user is not None:
            households = households.filter(pk__in=_scoped(Household, user).values("pk"))
        n = households.count()
        r = Reach.objects.filter(campaign=campaign, household__in=households.values("pk")).count()
        total += n
        reached += r
    return {
        "total": campaigns.count(),
        "running": len(running),
        "households_reached_share": round(reached / total, 4) if total else None,
        "households_unreached": total - reached,
    }
