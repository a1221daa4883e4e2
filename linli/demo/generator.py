"""The demo county: a Shangyou-like county that matches the seed (11 communities, 13 neighborhood
centers — 7 inside residential compounds, 6 combined with the Party-and-mass service center — a little
over 5,000 m²; one station per community and points under it; the ten function rooms; grids,
households and persons). Every person and household is synthetic and flagged `is_demo`.

Deterministic: the same seed gives the same county.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

from django.db import transaction

from linli.accounts.models import Role, User
from linli.core import crypto, idcard
from linli.core.masking import mask_id_number
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.people.models import CareTag, Household, Membership, Person
from linli.places.models import OpeningException, OpeningHours, Room, Site

COUNTY_CODE = "360724"
CENTER = (25.7935, 114.5430)  # Shangyou county seat, WGS-84 (approximate)
F = Room.Function

# (community, town, offset north km, offset east km, centers: [(name, placement, floor area, extra rooms)])
COMMUNITIES = [
    ("东门社区", "东山镇", 0.4, 0.9, [("东门邻里中心", "party_mass_center", 520, [F.CLASSROOM, F.CANTEEN, F.LECTURE_HALL, F.BOOK_BAR, F.NIGHT_TALK, F.DANCE])]),
    ("南门社区", "东山镇", -0.5, 0.3, [("南门邻里中心", "residential_compound", 410, [F.CLASSROOM, F.BOOK_BAR, F.CALLIGRAPHY])]),
    ("水南社区", "东山镇", -1.3, 0.0, [("水南邻里中心", "party_mass_center", 460, [F.CLASSROOM, F.CANTEEN, F.LECTURE_HALL, F.NIGHT_TALK]),
                                 ("滨江花园邻里中心", "residential_compound", 300, [F.BOOK_BAR, F.DANCE])]),
    ("城北社区", "东山镇", 1.2, 0.1, [("城北邻里中心", "residential_compound", 380, [F.CLASSROOM, F.CANTEEN, F.BOOK_BAR])]),
    ("新城社区", "东山镇", 0.2, -1.1, [("新城邻里中心", "party_mass_center", 440, [F.CLASSROOM, F.LECTURE_HALL, F.WORKSHOP, F.NIGHT_TALK]),
                                 ("阳光小区邻里中心", "residential_compound", 290, [F.CLASSROOM, F.BOOK_BAR])]),
    ("营前路社区", "东山镇", 0.9, -0.6, [("营前路邻里中心", "residential_compound", 350, [F.CANTEEN, F.BOOK_BAR, F.DANCE])]),
    ("紫阳社区", "东山镇", -0.2, -0.4, [("紫阳邻里中心", "party_mass_center", 480, [F.CLASSROOM, F.LECTURE_HALL, F.CALLIGRAPHY, F.NIGHT_TALK])]),
    ("犹江社区", "东山镇", -0.9, 1.2, [("犹江邻里中心", "residential_compound", 330, [F.CLASSROOM, F.CANTEEN, F.DANCE])]),
    ("章水社区", "东山镇", 1.8, 0.8, [("章水邻里中心", "residential_compound", 360, [F.BOOK_BAR, F.CALLIGRAPHY, F.LECTURE_HALL])]),
    ("黄埠社区", "黄埠镇", 2.6, -2.4, [("黄埠邻里中心", "party_mass_center", 410, [F.CLASSROOM, F.CANTEEN, F.WORKSHOP, F.NIGHT_TALK])]),
    ("梅水社区", "黄埠镇", 3.1, -1.6, [("梅水邻里中心", "party_mass_center", 390, [F.CLASSROOM, F.BOOK_BAR, F.DANCE, F.CALLIGRAPHY])]),
]
TOWNS = {"东山镇": "360724100", "黄埠镇": "360724101"}
# Further points under stations: (community, name, extra room)
EXTRA_POINTS = [
    ("东门社区", "东门小学四点半课堂点", F.CLASSROOM),
    ("水南社区", "滨江公园城市夜话亭", F.NIGHT_TALK),
    ("紫阳社区", "紫阳中学志愿服务点", F.VOLUNTEER_STATION),
    ("黄埠社区", "黄埠村口文化广场", F.NIGHT_TALK),
]
ROOM_NAMES = {
    F.CONVENIENCE: "便民服务窗口", F.CLASSROOM: "四点半课堂", F.LECTURE_HALL: "理论讲堂·学习强国学习室",
    F.VOLUNTEER_STATION: "志愿服务站", F.NIGHT_TALK: "城市夜话室", F.CANTEEN: "孝老食堂",
    F.WORKSHOP: "扶贫车间", F.BOOK_BAR: "书吧", F.CALLIGRAPHY: "书画室", F.DANCE: "舞蹈房",
}
ROOM_CAPACITY = {F.CONVENIENCE: 10, F.CLASSROOM: 40, F.LECTURE_HALL: 60, F.VOLUNTEER_STATION: 15,
                 F.NIGHT_TALK: 50, F.CANTEEN: 40, F.WORKSHOP: 30, F.BOOK_BAR: 25, F.CALLIGRAPHY: 20, F.DANCE: 30}
CARE_TAG_SHARE = {"living_alone_elderly": 0.25, "disabled": 0.02, "dibao": 0.03, "left_behind_child": 0.08,
                  "party_member_hardship": 0.01}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈钟卢姚钟廖邱温谢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华红玉兰建国志强文博子涵欣怡浩然梓萱宇轩雨桐佳琪俊杰晓燕春梅海燕金凤"
DEMO_PASSWORD = "linli-demo-2026"
# Later features extend the demo: each registers fn(*, rng, logins) run after the base county is built,
# in the order the apps are loaded; `last=True` runs after every other one (a step that needs the data
# all the others write, e.g. activity dates holding their rooms).
_EXTENSIONS: list = []
_LAST_EXTENSIONS: list = []


def register_extension(fn, *, last: bool = False) -> None:
    target = _LAST_EXTENSIONS if last else _EXTENSIONS
    if fn not in target:
        target.append(fn)


@dataclass
class Login:
    username: str
    role: str
    where: str


def _offset(lat, lng, north_km, east_km):
    return lat + north_km / 111.32, lng + east_km / (111.32 * math.cos(math.radians(lat)))


def _hexagon(lat, lng, radius_km):
    ring = []
    for i in range(7):
        a = math.radians(60 * (i % 6) + 30)
        p = _offset(lat, lng, radius_km * math.sin(a), radius_km * math.cos(a))
        ring.append([round(p[1], 6), round(p[0], 6)])
    return {"type": "Polygon", "coordinates": [ring]}


def _name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def exists() -> bool:
    return Division.objects.filter(code=COUNTY_CODE).exists()


@transaction.atomic
def build(*, households_per_grid: int = 60, seed: int = 360724, community_specs: list | None = None,
          grids_per_community: tuple[int, int] = (4, 6)) -> list[Login]:
    """Create the demo county. Refuses to run twice (`linli demo --reset` erases the database first).
    `community_specs` and `grids_per_community` let the large county (linli/demo/large.py) reuse it."""
    if exists():
        raise RuntimeError("the demo county already exists")
    rng = random.Random(seed)
    county = Division.objects.create(name="上犹县", code=COUNTY_CODE, level=Division.Level.COUNTY,
                                     boundary=None)
    towns = {n: Division.objects.create(name=n, code=c, level=Division.Level.SUBDISTRICT, parent=county)
             for n, c in TOWNS.items()}
    tags = {t.code: t for t in CareTag.objects.all()}
    stations, communities, grids = {}, {}, []
    for ci, (cname, town, dn, de, centers) in enumerate(community_specs or COMMUNITIES, start=1):
        lat, lng = _offset(*CENTER, dn, de)
        com = Division.objects.create(name=cname, code=f"{TOWNS[town]}{ci:03d}", level=Division.Level.COMMUNITY,
                                      parent=towns[town], boundary=_hexagon(lat, lng, 0.75))
        communities[cname] = (com, lat, lng)
        for gi in range(1, rng.randint(*grids_per_community) + 1):
            grids.append((Division.objects.create(name=f"{cname}第{gi}网格", code=f"{com.code}{gi:03d}",
                                                  level=Division.Level.GRID, parent=com), lat, lng))
        for si, (sname, placement, area, extra) in enumerate(centers):
            slat, slng = _offset(lat, lng, 0.18 * si, -0.22 * si)
            site = Site.objects.create(
                name=sname, division=com, is_neighborhood_center=True, placement=placement,
                practice_role=Site.PracticeRole.STATION if si == 0 else Site.PracticeRole.POINT,
                station=stations.get(cname), address=f"上犹县{town}{cname}{sname.replace('邻里中心', '')}路{rng.randint(1, 99)}号",
                lat=round(slat, 6), lng=round(slng, 6), floor_area_m2=area,
                contact_name=_name(rng), contact_phone=f"0797-85{rng.randint(10000, 99999)}",
                description="演示数据 · demo data")
            if si == 0:
                stations[cname] = site
            _hours(site)
            for fn in [F.CONVENIENCE, F.VOLUNTEER_STATION, *extra]:
                Room.objects.create(site=site, name=ROOM_NAMES[fn], function=fn, capacity=ROOM_CAPACITY[fn],
                                    area_m2=rng.choice([20, 30, 40, 60]),
                                    bookable=fn not in (F.CONVENIENCE, F.CANTEEN),
                                    requires_approval=fn in (F.LECTURE_HALL, F.NIGHT_TALK, F.DANCE))
    for cname, pname, fn in EXTRA_POINTS:
        com, lat, lng = communities[cname]
        plat, plng = _offset(lat, lng, -0.35, 0.3)
        site = Site.objects.create(name=pname, division=com, practice_role=Site.PracticeRole.POINT,
                                   station=stations[cname], placement=Site.Placement.OTHER,
                                   address=f"上犹县{cname}{pname}", lat=round(plat, 6), lng=round(plng, 6),
                                   description="演示数据 · demo data")
        _hours(site)
        Room.objects.create(site=site, name=ROOM_NAMES[fn], function=fn, capacity=ROOM_CAPACITY[fn])
    _orgs(county, communities, rng)
    resident_person = _people(grids, tags, rng, households_per_grid)
    logins = _users(county, communities, grids, resident_person)
    _bookings(rng)
    for extend in [*_EXTENSIONS, *_LAST_EXTENSIONS]:
        extend(rng=rng, logins=logins)
    return logins


def run_queued_jobs(*, limit: int = 10_000) -> int:
    """Run, once, the jobs the build left in the queue (the notifications' deliveries, the ledgers the
    demo logins asked for), with the worker's own code (`claim` then `run_one`, heartbeat and retries
    as in production) and stop when nothing is due. `linli demo` calls it after the build has committed,
    so `--no-serve` leaves the messages delivered and the figures not zero; a job that fails is
    retried later by the workers `linli demo` starts, as any job. Returns how many ran."""
    from linli.jobs import worker

    ran = 0
    while ran < limit:
        job = worker.claim("demo-build")
        if job is None:
            break
        worker.run_one(job)
        ran += 1
    return ran


def _hours(site):
    rows = [OpeningHours(site=site, weekday=d, opens=dt.time(8, 30), closes=dt.time(21, 0)) for d in range(5)]
    rows += [OpeningHours(site=site, weekday=d, opens=dt.time(9, 0), closes=dt.time(18, 0)) for d in (5, 6)]
    OpeningHours.objects.bulk_create(rows)
    OpeningException.objects.bulk_create([
        OpeningException(site=site, date=dt.date(2027, 1, 1), note="元旦"),
        *[OpeningException(site=site, date=dt.date(2027, 2, 6) + dt.timedelta(days=i), note="春节")
          for i in range(4)],
    ])


def _orgs(county, communities, rng):
    K = Organization.Kind
    rows = [Organization(name="上犹县总工会", kind=K.TRADE_UNION, division=county),
            Organization(name="共青团上犹县委", kind=K.YOUTH_LEAGUE, division=county),
            Organization(name="上犹县妇女联合会", kind=K.WOMENS_FEDERATION, division=county),
            Organization(name="上犹县人民医院", kind=K.CLINIC, division=county),
            Organization(name="上犹县公安局东山派出所", kind=K.POLICE_STATION, division=county),
            Organization(name="江西犹江律师事务所", kind=K.LAW_FIRM, division=county)]
    for cname, (com, _, _) in communities.items():
        rows.append(Organization(name=f"{cname}党支部", kind=K.PARTY_BRANCH, division=com,
                                 contact_name=_name(rng)))
        rows.append(Organization(name=f"{cname}共建单位·县直机关", kind=K.CO_BUILDING_UNIT, division=com))
    rows += [Organization(name="上犹县东门小学", kind=K.SCHOOL, division=communities["东门社区"][0]),
             Organization(name="上犹县紫阳中学", kind=K.SCHOOL, division=communities["紫阳社区"][0])]
    Organization.objects.bulk_create(rows)


def _people(grids, tags, rng, households_per_grid):
    today = dt.date.today()
    households, persons, links = [], [], []  # links: (household idx, person idx, relation, tag codes)
    seq, used = 0, set()
    for grid, lat, lng in grids:
        for h in range(households_per_grid):
            hlat, hlng = _offset(lat, lng, rng.uniform(-0.7, 0.7), rng.uniform(-0.7, 0.7))
            households.append(Household(address=f"{grid.parent.name}{rng.choice('东西南北')}区{h // 12 + 1}栋"
                                                f"{h % 3 + 1}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室",
                                        division=grid, lat=round(hlat, 6), lng=round(hlng, 6), is_demo=True))
            hi = len(households) - 1
            size = rng.choices([1, 2, 3, 4, 5], weights=[18, 30, 27, 17, 8])[0]
            head_age = rng.randint(28, 88)
            members = [("head", head_age)]
            if size >= 2:
                members.append(("spouse", max(22, head_age + rng.randint(-4, 4))))
            for _ in range(size - len(members)):
                members.append(("child", rng.randint(1, max(2, head_age - 22))) if head_age < 70
                               else ("grandchild", rng.randint(3, 15)))
            for relation, age in members:
                seq += 1
                born = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
                male = rng.random() < 0.5
                n = seq
                number = idcard.make(COUNTY_CODE, born, (n * 2 + male) % 1000)
                while number in used:
                    n += 1
                    number = idcard.make(COUNTY_CODE, born, (n * 2 + male) % 1000)
                used.add(number)
                codes = []
                if size == 1 and age >= 65:
                    codes.append("living_alone_elderly")
                for code, share in CARE_TAG_SHARE.items():
                    if code != "living_alone_elderly" and rng.random() < share and (code != "left_behind_child" or age < 16):
                        codes.append(code)
                if age >= 80:
                    codes.append("elderly_80_plus")
                persons.append(Person(
                    name=_name(rng), sex="M" if idcard.is_male(number) else "F", birth_date=idcard.birth_date(number),
                    phone=f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}" if age >= 14 else "",
                    id_number_encrypted=crypto.encrypt(number), id_number_index=crypto.blind_index(number),
                    id_number_masked=mask_id_number(number), division=grid, is_demo=True))
                links.append((hi, len(persons) - 1, relation, codes))
    Household.objects.bulk_create(households, batch_size=500)
    Person.objects.bulk_create(persons, batch_size=500)
    if not households[0].pk:  # backends that do not return ids from bulk_create
        households = list(Household.objects.filter(is_demo=True).order_by("pk"))
        persons = list(Person.objects.filter(is_demo=True).order_by("pk"))
    start = today - dt.timedelta(days=3650)
    Membership.objects.bulk_create([Membership(household=households[hi], person=persons[pi], relation=rel,
                                               start_date=start) for hi, pi, rel, _ in links], batch_size=1000)
    through = Person.care_tags.through
    through.objects.bulk_create([through(person_id=persons[pi].pk, caretag_id=tags[c].pk)
                                 for _, pi, _, codes in links for c in codes if c in tags], batch_size=1000)
    return persons[1]


def _users(county, communities, grids, resident_person) -> list[Login]:
    first_com = communities["东门社区"][0]
    first_grid = next(g for g, _, _ in grids if g.parent_id == first_com.pk)
    first_site = Site.objects.filter(division=first_com, practice_role=Site.PracticeRole.STATION).first()
    logins = []
    admin = User.objects.create_superuser("admin", password=DEMO_PASSWORD, display_name="系统管理员")
    logins.append(Login("admin", "superuser", "—"))
    for username, kind, division, display in [
        ("county", Role.Kind.COUNTY_ADMIN, county, "县文明办 李主任"),
        ("staff", Role.Kind.COMMUNITY_STAFF, first_com, "东门社区 王社工"),
        ("site", Role.Kind.SITE_MANAGER, first_com, f"{first_site.name} 陈站长"),
        ("grid", Role.Kind.GRID_WORKER, first_grid, f"{first_grid.name} 刘网格员"),
        ("tutor", Role.Kind.TUTOR, first_com, "四点半课堂 张老师"),
        ("volunteer", Role.Kind.VOLUNTEER, first_com, "党员志愿者 赵明"),
        ("resident", Role.Kind.RESIDENT, first_grid, resident_person.name),
    ]:
        user = User.objects.create_user(username, password=DEMO_PASSWORD, display_name=display)
        Role.objects.create(user=user, kind=kind, division=division, granted_by=admin)
        logins.append(Login(username, kind, division.name))
        if username == "resident":
            Person.objects.filter(pk=resident_person.pk).update(user=user)
    return logins


def _bookings(rng):
    """A fortnight of room bookings and a weekly series, made through the booking services so the
    demo calendars obey the same rules as real ones (opening hours, no overlap, approval)."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from linli.places import services

    staff = User.objects.get(username="staff")
    resident = User.objects.get(username="resident")
    today = timezone.localdate()
    rooms = list(Room.objects.filter(bookable=True, site__division__name="东门社区").select_related("site"))
    purposes = ["青年读书会", "社区党员学习", "老年书法兴趣班", "广场舞排练", "亲子阅读", "志愿者培训", "业主协商会"]
    for offset in range(1, 15):
        day = today + dt.timedelta(days=offset)
        for room in rooms:
            for _ in range(rng.randint(0, 2)):
                hour = rng.randint(9, 16)
                start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
                try:
                    services.booking_request(room=room, by=rng.choice([staff, resident]),
                                             start=start, end=start + dt.timedelta(hours=rng.choice([1, 2])),
                                             purpose=rng.choice(purposes), attendees=rng.randint(5, 25))
                except ValidationError:
                    pass  # closed that day or already taken: the rules said no, as they would to a person
    book_bar = next((r for r in rooms if r.function == Room.Function.BOOK_BAR), None)
    if book_bar is not None:
        services.booking_series_create(room=book_bar, by=staff, weekdays=[2], start_date=today,
                                       end_date=today + dt.timedelta(days=90), start_time=dt.time(19),
                                       end_time=dt.time(20, 30), purpose="青年读书会（每周三）")
