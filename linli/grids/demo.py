"""Demo data for grids: a boundary for every demo grid (each community's hexagon cut into wedges) with
its households placed inside (a few deliberately in a neighbouring grid, to show that list), grid
workers with dates (one grid left without a current worker), care cadences, a year of visits, and two
campaigns: one finished at 100% reach, one running with gaps. Bulk inserts throughout (tens of
thousands of visits), so the whole demo stays well under a minute."""

import datetime as dt
import math
import uuid
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from shapely.geometry import Point, Polygon, shape
from shapely.prepared import prep

from linli.accounts.models import Role, User
from linli.demo.generator import COUNTY_CODE, DEMO_PASSWORD
from linli.divisions.models import Division
from linli.grids.models import Campaign, GridAssignment, Reach, Visit
from linli.people.models import CareTag, Household, Membership

CADENCES = {"living_alone_elderly": 7, "left_behind_child": 14, "elderly_80_plus": 30, "disabled": 30,
            "dibao": 30, "party_member_hardship": 30}
NOTES = ["身体状况良好，生活能自理", "家中整洁，用电用气安全", "已告知近期社区活动安排", "子女每周来电",
         "血压偏高，提醒按时服药", "反映楼道灯不亮", "已核对家庭成员信息", "邻里关系和睦"]
NEEDS = ["希望有人帮忙代买药品", "楼道灯坏了需要维修", "想报名孝老食堂助餐", "孩子放学后无人照看，想参加四点半课堂",
         "申请临时救助，需要指导办理", "家中水管漏水"]
WORKER_SURNAMES = "刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"


def _key(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _wedges(hexagon: dict, n: int) -> list[dict]:
    """Cut a community's polygon into n wedges around its centre; neighbours share their edges exactly."""
    poly = shape(hexagon)
    cx, cy = poly.centroid.x, poly.centroid.y
    out = []
    for i in range(n):
        a0, a1 = 2 * math.pi * i / n + 0.3, 2 * math.pi * (i + 1) / n + 0.3
        steps = [a0 + (a1 - a0) * k / 8 for k in range(9)]
        fan = Polygon([(cx, cy), *[(cx + 0.05 * math.cos(a), cy + 0.05 * math.sin(a)) for a in steps]])
        piece = poly.intersection(fan)
        out.append({"type": "Polygon", "coordinates": [[list(p) for p in piece.exterior.coords]]})
    return out


def _inside(rng, poly, prepared):
    minx, miny, maxx, maxy = poly.bounds
    for _attempt in range(200):
        # Rounded first (coordinates are stored to 6 decimals), so the stored point is the one tested.
        x, y = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
        if prepared.contains(Point(x, y)):
            return y, x
    c = poly.representative_point()
    return round(c.y, 6), round(c.x, 6)


def extend(*, rng, logins):
    county = Division.objects.get(code=COUNTY_CODE)
    today = timezone.localdate()
    for code, days in CADENCES.items():
        CareTag.objects.filter(code=code, visit_every_days__isnull=True).update(visit_every_days=days)
    communities = list(Division.objects.filter(path__startswith=county.path, level=Division.Level.COMMUNITY,
                                               boundary__isnull=False).order_by("path"))
    grids_of = defaultdict(list)
    for g in Division.objects.filter(path__startswith=county.path, level=Division.Level.GRID).order_by("code"):
        grids_of[g.parent_id].append(g)
    polys = {}
    for com in communities:
        grids = grids_of[com.pk]
        for g, boundary in zip(grids, _wedges(com.boundary, len(grids)), strict=True):
            g.boundary = boundary
            polys[g.pk] = shape(boundary)
    Division.objects.bulk_update([g for gs in grids_of.values() for g in gs], ["boundary"], batch_size=200)
    prepared = {pk: prep(p) for pk, p in polys.items()}

    households = list(Household.objects.filter(is_demo=True, division_id__in=polys).order_by("pk"))
    by_grid = defaultdict(list)
    for h in households:
        by_grid[h.division_id].append(h)
    for com in communities:
        grids = grids_of[com.pk]
        for gi, g in enumerate(grids):
            for hi, h in enumerate(by_grid[g.pk]):
                # The first household of each community's first grid stands in the next grid: the register
                # says one grid, the map another (the list of households whose location disagrees).
                target = grids[(gi + 1) % len(grids)] if gi == 0 and hi == 0 and len(grids) > 1 else g
                h.lat, h.lng = _inside(rng, polys[target.pk], prepared[target.pk])
    Household.objects.bulk_update(households, ["lat", "lng"], batch_size=500)

    workers = _workers(rng, grids_of, today)
    _visits(rng, households, workers, today)
    _campaigns(rng, county, households, workers, today)


def _workers(rng, grids_of, today) -> dict:
    """One worker per grid (the demo user "grid" in 东门社区第1网格, plus a deputy there); the last grid of
    the last community has had nobody since its worker left last month, so it shows as unstaffed."""
    grid_user = User.objects.get(username="grid")
    admin = User.objects.filter(username="admin").first()
    password = make_password(DEMO_PASSWORD)
    assignments, roles, workers = [], [], {}
    all_grids = [g for gs in grids_of.values() for g in gs]
    first = next(g for g in all_grids if Role.objects.filter(user=grid_user, division=g).exists())
    for i, g in enumerate(all_grids):
        if g.pk == first.pk:
            user = grid_user
        else:
            user, _created = User.objects.get_or_create(
                username=f"demo-grid-{g.code}",
                defaults={"password": password, "display_name": f"{g.name} {WORKER_SURNAMES[i % 20]}网格员"})
            roles.append(Role(user=user, kind=Role.Kind.GRID_WORKER, division=g, granted_by=admin))
        start = today - dt.timedelta(days=rng.randint(400, 1500))
        if i == len(all_grids) - 1:
            assignments.append(GridAssignment(grid=g, user=user, start_date=start,
                                              end_date=today - dt.timedelta(days=30)))
            roles.pop()
        else:
            assignments.append(GridAssignment(grid=g, user=user, start_date=start))
        workers[g.pk] = user
    deputy, _created = User.objects.get_or_create(username="demo-grid-deputy",
                                                  defaults={"password": password, "display_name": "东门社区 协管员 邓"})
    assignments.append(GridAssignment(grid=first, user=deputy, kind=GridAssignment.Kind.DEPUTY,
                                      start_date=today - dt.timedelta(days=200)))
    roles.append(Role(user=deputy, kind=Role.Kind.GRID_WORKER, division=first, granted_by=admin))
    GridAssignment.objects.bulk_create(assignments)
    Role.objects.bulk_create(roles, ignore_conflicts=True)
    return workers


def _visits(rng, households, workers, today) -> None:
    """A year of visits: care households at about their cadence (some lapsing lately, so the overdue
    lists are not empty), the rest once or twice a year."""
    cadence = {}
    members = defaultdict(list)
    rows = (Membership.objects.filter(household__in=households, end_date__isnull=True)
            .values_list("household_id", "person_id", "person__care_tags__visit_every_days"))
    for hid, pid, days in rows:
        if pid not in members[hid]:
            members[hid].append(pid)
        if days:
            cadence[hid] = min(days, cadence.get(hid, days))
    visits = []
    start = today - dt.timedelta(days=365)
    for h in households:
        who = workers.get(h.division_id)
        days = cadence.get(h.pk)
        if days:
            lapse = rng.random() < 0.12  # about one in eight care households is overdue today
            end = today - dt.timedelta(days=days + rng.randint(3, 20)) if lapse else today
            day = start + dt.timedelta(days=rng.randint(0, days))
            dates = []
            while day <= end:
                dates.append(day)
                day += dt.timedelta(days=max(1, round(days * rng.uniform(0.6, 1.1))))
        else:
            dates = sorted(start + dt.timedelta(days=rng.randint(0, 365)) for _ in range(rng.choice((0, 1, 1, 2))))
        for d in dates:
            nobody = rng.random() < 0.08
            visits.append(Visit(
                household=h, division_id=h.division_id, visited_on=d, recorded_by=who, nobody_home=nobody,
                met_id=None if nobody or not members[h.pk] else rng.choice(members[h.pk]),
                notes="" if nobody else rng.choice(NOTES), needs=rng.choice(NEEDS) if rng.random() < 0.04 else "",
                submission_key=_key(rng)))
    Visit.objects.bulk_create(visits, batch_size=2000)


def _campaigns(rng, county, households, workers, today) -> None:
    creator = User.objects.filter(username="county").first()
    M = Campaign.Method
    done = Campaign.objects.create(
        title="春节前消防安全入户提示", division=county, created_by=creator,
        content="冬春季用火用电用气增多。请检查电动车是否在楼道充电，燃气软管是否老化，家中是否备有灭火器。"
                "如有隐患请联系网格员。",
        starts_on=today - dt.timedelta(days=120), deadline=today - dt.timedelta(days=100),
        methods=[M.VISIT, M.PHONE, M.WECHAT, M.NOTICE_BOARD])
    done.scope.set([county])
    running = Campaign.objects.create(
        title="创建全国文明城市·入户宣传", division=county, created_by=creator,
        content="发放《文明城市创建告居民书》，宣传垃圾分类、文明养犬、文明停车，听取居民意见。",
        starts_on=today - dt.timedelta(days=12), deadline=today + dt.timedelta(days=18),
        methods=[M.VISIT, M.PHONE, M.WECHAT])
    running.scope.set([county])
    tz = timezone.get_current_timezone()
    reaches = []
    methods_done = [M.VISIT] * 5 + [M.PHONE] * 2 + [M.WECHAT] * 2 + [M.NOTICE_BOARD]
    grid_share = {}
    for h in households:
        day = done.starts_on + dt.timedelta(days=rng.randint(0, 20))
        reaches.append(Reach(campaign=done, household=h, division_id=h.division_id, method=rng.choice(methods_done),
                             reached_at=dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)), tz),
                             recorded_by=workers.get(h.division_id), submission_key=_key(rng)))
        # Progress differs by grid, as it does: most grids far along, a few just started.
        share = grid_share.setdefault(h.division_id, rng.choice((0.95, 0.9, 0.8, 0.7, 0.55, 0.35)))
        if rng.random() < share:
            day = running.starts_on + dt.timedelta(days=rng.randint(0, 11))
            reaches.append(Reach(campaign=running, household=h, division_id=h.division_id,
                                 method=rng.choice([M.VISIT, M.VISIT, M.PHONE, M.WECHAT]),
                                 reached_at=dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)), tz),
                                 recorded_by=workers.get(h.division_id), submission_key=_key(rng)))
    Reach.objects.bulk_create(reaches, batch_size=2000)
