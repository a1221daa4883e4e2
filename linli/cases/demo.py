"""A year of residents' voice for the demo county: service orders, concerns, disputes and night-talk
opinions, each with a full history, whose figures look like a real county's: most matters settled in the
community within days, a few escalated to the county, some overdue, ratings mostly 4–5 stars.

Written in bulk (bulk_create of cases, history lines, parties and sessions): going through the services
one transition at a time would take minutes for ~1,500 cases. The history is what the services would
have written; figures are computed from it like any other. Hours for recent orders go to the volunteers
app through its door for other apps (service_record_from, marked as from a resident's order), pending
confirmation.
"""

import datetime as dt
import math

from django.utils import timezone

from linli.cases.conf import deadline_hours
from linli.cases.models import Case, CaseEvent, Kind, MediationSession, NightTalk, Party, ServiceItem

S = Case.Status
PER_COMMUNITY = {Kind.ORDER: 60, Kind.CONCERN: 34, Kind.DISPUTE: 8}
ORDER_TEXT = ["家里水龙头漏水，想请人来看看", "老人腿脚不便，想请人代买米和油", "孩子数学作业需要辅导",
              "想给卧床老人量量血压", "燃气灶有点味道，想请人查一查", "想咨询一下赡养费的事", "老人想理个发",
              "独居老人想有人来陪着说说话", "楼道灯坏了家里插座也不通电"]
CONCERN_TEXT = {"environment": "小区垃圾桶满了好几天没人清运", "facilities": "健身器材坏了，怕伤到孩子",
                "street_lighting": "路口路灯晚上不亮", "parking": "消防通道经常被私家车占用",
                "noise": "楼下店铺晚上音响太吵", "property_service": "物业报修一直没人来",
                "safety_hazard": "电动车在楼道里充电", "other_concern": "希望增加一个快递柜"}
CONCERN_ANSWER = {"environment": "已协调环卫所增加清运频次，每天早晚各一次。",
                  "facilities": "已联系物业更换损坏器材，并设置警示标识。", "street_lighting": "已报城管局维修，路灯已恢复。",
                  "parking": "已在通道划线并联合交警劝导，情况明显好转。", "noise": "已约谈商户，承诺晚上九点后降低音量。",
                  "property_service": "已督促物业三日内上门，并纳入物业考核。",
                  "safety_hazard": "已开展楼道电动车清理，并在小区增设充电桩。",
                  "other_concern": "已与快递企业沟通，下月在小区门口安装快递柜。"}
DISPUTE_FACTS = {"neighbour_dispute": "楼上卫生间漏水，渗到楼下天花板，双方就维修费用发生争执",
                 "family_dispute": "兄弟二人对父母赡养费分担意见不一",
                 "property_dispute": "业主认为物业费上涨不合理，拒交物业费",
                 "labour_dispute": "装修工人称工钱被拖欠两个月", "damage_dispute": "小区内电动车剐蹭，双方对赔偿金额有分歧",
                 "other_dispute": "相邻两户因院墙边界发生争执"}
AGREEMENTS = ["由楼上住户承担维修费用1200元，一周内修复防水层", "双方每月各承担赡养费800元，按月转账给母亲",
              "物业公示收费明细，业主补交欠费，物业减免一个月", "雇主分两期付清工钱6000元",
              "一方赔偿对方修车费500元，当场付清", "按原房产证界址恢复院墙，费用各半"]
OPINIONS = [("opinion_traffic", "希望在社区门口增设公交站点", "已与公交公司对接，新站点下月启用。"),
            ("opinion_care", "希望孝老食堂增加晚餐", "孝老食堂自本月起增设晚餐，每餐6元。"),
            ("opinion_environment", "希望整治背街小巷的卫生死角", "已组织志愿者和环卫工集中清理12处。"),
            ("opinion_services", "希望四点半课堂延长到六点", "四点半课堂已延长至18:00，增配两名老师。"),
            ("opinion_environment", "希望在小区增设休闲座椅", "已在小区中心花园增设座椅10张。"),
            ("opinion_traffic", "希望学校门口上下学时段有人疏导交通", "已安排党员志愿者上下学时段值守。"),
            ("opinion_care", "希望有人定期看望独居老人", "已建立网格员每周探访独居老人制度。"),
            ("opinion_other", "希望多组织一些文艺活动", "每月举办一次邻里文艺晚会。")]
REPORTS = ["已上门处理完毕", "已送到老人家中", "已完成辅导，约好下周再来", "已检查，无安全隐患", "已解答居民问题"]


def _hours(rng, median: float, spread: float = 0.8) -> dt.timedelta:
    return dt.timedelta(hours=max(0.2, math.exp(math.log(median) + rng.gauss(0, spread))))


class _Builder:
    def __init__(self, rng, now):
        self.rng, self.now = rng, now
        self.cases, self.events, self.parties, self.sessions = [], [], [], []

    def event(self, i, at, by, action, frm, to, note="", public=True):
        self.events.append((i, CaseEvent(at=at, by=by, action=action, from_status=frm, to_status=to, note=note,
                                         public=public)))

    def add(self, case, steps):
        """Play the steps (delay, by, action, to, note, public, field updates) until one lies in the future."""
        i = len(self.cases)
        self.cases.append(case)
        t, status = case.created_at, S.NEW
        self.event(i, t, case.reporter, "create", "", S.NEW)
        for delay, by, action, to, note, public, fields in steps:
            if t + delay > self.now:
                break
            t += delay
            self.event(i, t, by, action, status, to, note, public)
            for k, v in fields.items():
                setattr(case, k, v)
            status = to
            if to == S.CLOSED:
                case.closed_at = t
        case.status, case.updated_at = status, t
        if status != S.CLOSED:
            case.resolution = ""
            case.rating, case.rating_comment, case.public_answer = None, "", ""
            case.agreement_terms = case.performance = case.referred_to = ""
        return i


def extend(*, rng, logins):
    from linli.accounts.models import Role, User
    from linli.divisions.models import Division
    from linli.people.models import Person
    from linli.volunteers.models import Team, Volunteer

    county = Division.objects.filter(code="360724").first()
    if county is None:
        return
    now = timezone.now()
    b = _Builder(rng, now)
    items = {s.code: s for s in ServiceItem.objects.all()}
    by_kind = {k: [s for s in items.values() if s.kind == k and s.active] for k in Kind.values}
    teams = {t.code: t for t in Team.objects.all()}
    county_user = User.objects.filter(username="county").first()
    resident_user = User.objects.filter(username="resident").first()
    staff_of = {r.division_id: r.user for r in Role.objects.filter(kind=Role.Kind.COMMUNITY_STAFF).select_related("user")}
    communities = list(Division.objects.filter(path__startswith=county.path, level=Division.Level.COMMUNITY))
    talks = []
    for com in communities:
        staff = staff_of.get(com.pk) or county_user
        people = list(Person.objects.filter(division__parent=com, is_demo=True).exclude(phone="")
                      .values_list("pk", "name", "phone", "user_id")[:300])
        vols = list(Volunteer.objects.filter(division=com, active=True).prefetch_related("teams")[:20])
        for kind, n in PER_COMMUNITY.items():
            for _ in range(int(n * rng.uniform(0.7, 1.3))):
                _one(b, rng, kind, com, staff, county_user, people, vols, by_kind, teams, now)
        # The night talks held: the community's night-talk activity dates of the past year, minuted.
        for occ in _night_talk_dates(rng, com, staff, now):
            talks.append((com, staff, occ.start, NightTalk(
                division=com, occurrence=occ, title=occ.activity.title, held_at=occ.start,
                place=f"{occ.activity.site.name} {occ.room.name}" if occ.room else occ.activity.site.name,
                attendees=occ.attended or rng.randint(18, 60), recorded_by=staff,
                minutes="社区书记通报近期工作，居民代表发言，现场答复居民关心的问题。")))
    NightTalk.objects.bulk_create([t for *_, t in talks])
    for com, staff, held, talk in talks:
        for code, said, did in rng.sample(OPINIONS, rng.randint(2, 4)):
            created = held + dt.timedelta(hours=2)
            case = Case(kind=Kind.OPINION, service=items[code], division=com, description=said, night_talk=talk,
                        title=f"{items[code].name}：{said[:30]}", channel=Case.Channel.NIGHT_TALK, reporter=staff,
                        created_at=created, due_at=created + dt.timedelta(hours=deadline_hours(Kind.OPINION, "normal")),
                        is_demo=True, public_answer=did, resolution=Case.Resolution.RESOLVED)
            steps = [(_hours(rng, 30), staff, "dispatch", S.IN_PROGRESS, "", True, {"assignee": staff})]
            if rng.random() < 0.08:
                steps += [(_hours(rng, 72), staff, "escalate", S.ESCALATED, "需县直部门协调解决", True, {}),
                          (_hours(rng, 400), county_user, "close", S.CLOSED, did, True, {})]
            else:
                steps.append((_hours(rng, 240, 0.6), staff, "close", S.CLOSED, did, True, {}))
            b.add(case, steps)
    if resident_user is not None:
        _resident_examples(b, rng, resident_user, by_kind, teams, staff_of, communities, now)
    if county_user is not None and communities:
        _county_example(b, county_user, by_kind, staff_of, communities[0], now)
    _save(b)
    _hours_to_volunteers(b, staff_of, county_user, now)


def _night_talk_dates(rng, com, staff, now):
    """A city night talk is an activity (kind NIGHT_TALK) with sign-ups, a room and a ledger line. The
    community's held dates of the past year, each with its check-in count; a community whose centers
    did not get a night-talk series from the activities demo gets one here, monthly on the 2nd Thursday
    at 19:30 in its night-talk room, a year back and two months ahead (its rooms are held at the end,
    by activities.demo.hold_rooms, like every demo date)."""
    from django.db.models import Count, Q

    from linli.activities.models import Activity, Method, Occurrence, Platform, new_token
    from linli.places.models import Room, Site

    held = Occurrence.objects.filter(activity__kind=Activity.Kind.NIGHT_TALK, activity__site__division=com,
                                     status=Occurrence.Status.SCHEDULED, end__lt=now)
    if not held.exists():
        site = (Site.objects.filter(division=com, is_neighborhood_center=True).order_by("-practice_role", "pk").first()
                or Site.objects.filter(division=com).first())
        if site is None:
            return []
        room = site.rooms.filter(function=Room.Function.NIGHT_TALK).first()
        activity = Activity.objects.create(
            title="城市夜话", kind=Activity.Kind.NIGHT_TALK, site=site, room=room, recurrence=Activity.Recurrence.MONTHLY,
            platform=Platform.objects.get(code="theory_policy"), method=Method.objects.get(code="interactive_review"),
            capacity=min(50, room.capacity or 50) if room else 50, created_by=staff, is_demo=True,
            description="面对面听民声、解民忧 · demo data")
        tz = timezone.get_current_timezone()
        dates, month = [], (now - dt.timedelta(days=365)).date().replace(day=1)
        while month <= (now + dt.timedelta(days=60)).date():
            day = month + dt.timedelta(days=(3 - month.weekday()) % 7 + 7)
            start = dt.datetime.combine(day, dt.time(19, 30), tzinfo=tz)
            if now - dt.timedelta(days=365) < start < now + dt.timedelta(days=60):
                dates.append(Occurrence(activity=activity, start=start, end=start + dt.timedelta(minutes=90), room=room,
                                        capacity=activity.capacity, checkin_token=new_token(),
                                        signup_opens=start - dt.timedelta(days=14), signup_closes=start))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        Occurrence.objects.bulk_create(dates)
    return list(held.select_related("activity__site", "room")
                .annotate(attended=Count("registrations", filter=Q(registrations__checked_in_at__isnull=False)))
                .order_by("start"))


def _one(b, rng, kind, com, staff, county_user, people, vols, by_kind, teams, now):
    created = now - dt.timedelta(days=365 * rng.random() ** 1.15, minutes=rng.randint(0, 600))
    service = rng.choice(by_kind[kind])
    pk, name, phone, user_id = rng.choice(people) if people else (None, "", "", None)
    priority = rng.choices(["urgent", "normal", "low"], weights=[10, 80, 10])[0]
    case = Case(kind=kind, service=service, division=com, person_id=pk if kind != Kind.DISPUTE else None,
                contact_name=name, contact_phone=phone, priority=priority, created_at=created, is_demo=True,
                due_at=created + dt.timedelta(hours=deadline_hours(kind, priority)),
                channel=rng.choice([Case.Channel.WEB, Case.Channel.WEB, Case.Channel.STAFF]))
    if kind == Kind.ORDER:
        text = rng.choice(ORDER_TEXT)
        team = service.default_team or teams.get("party_member")
        vol = next((v for v in vols if team in v.teams.all()), None) if vols else None
        case.description, case.title = text, f"{service.name}：{text[:30]}"
        steps = []
        if rng.random() < 0.06:  # declined once, then dispatched again
            steps += [(_hours(rng, 3), staff, "dispatch", S.DISPATCHED, "", True, {"team": team, "assignee": staff}),
                      (_hours(rng, 5), None, "decline", S.NEW, "这两天队员都有任务", False, {"team": None})]
        report = rng.choice(REPORTS)
        hours = rng.choice([1, 1, 1.5, 2, 2, 3])
        rating = rng.choices([5, 4, 3, 2, 1], weights=[62, 27, 7, 3, 1])[0]
        steps += [(_hours(rng, 3), staff, "dispatch", S.DISPATCHED, "", True, {"team": team, "assignee": staff}),
                  (_hours(rng, 2), None, "accept", S.IN_PROGRESS, "", True, {"volunteer": vol}),
                  (_hours(rng, 18, 0.6), None, "complete", S.DONE, report, True,
                   {"report": report, "hours": hours}),
                  (_hours(rng, 20), None, "rate", S.CLOSED, "", True,
                   {"rating": rating, "resolution": Case.Resolution.RESOLVED})]
        if rng.random() < 0.1:  # the resident never rated: staff close it after a week
            steps[-1] = (dt.timedelta(days=7), staff, "close", S.CLOSED, "", True,
                         {"resolution": Case.Resolution.RESOLVED})
        if rng.random() < 0.04:
            steps = [(_hours(rng, 5), None, "withdraw", S.CLOSED, "已自行解决", True,
                      {"resolution": Case.Resolution.WITHDRAWN})]
        b.add(case, steps)
    elif kind == Kind.CONCERN:
        text, answer = CONCERN_TEXT.get(service.code, "希望社区帮忙解决"), CONCERN_ANSWER.get(service.code, "已处理。")
        case.description, case.title = text, f"{service.name}：{text[:30]}"
        steps = [(_hours(rng, 5), staff, "dispatch", S.IN_PROGRESS, "", True, {"assignee": staff})]
        r = rng.random()
        if r < 0.06:
            steps += [(_hours(rng, 48), staff, "escalate", S.ESCALATED, "涉及多个部门，提请县里协调", True, {}),
                      (_hours(rng, 300), county_user, "close", S.CLOSED, answer, True,
                       {"public_answer": answer, "resolution": Case.Resolution.RESOLVED})]
        elif r < 0.1:
            steps = [(_hours(rng, 20), staff, "duplicate", S.CLOSED, "与已受理诉求相同", True,
                      {"resolution": Case.Resolution.DUPLICATE})]
        else:
            steps.append((_hours(rng, 90, 0.7), staff, "close", S.CLOSED, answer, True,
                          {"public_answer": answer, "resolution": Case.Resolution.RESOLVED}))
        b.add(case, steps)
    else:
        facts = DISPUTE_FACTS.get(service.code, "双方发生争执")
        case.description, case.title = facts, f"{service.name}：{facts[:30]}"
        steps = [(_hours(rng, 20), staff, "dispatch", S.IN_PROGRESS, "", True, {"assignee": staff})]
        r = rng.random()
        if r < 0.05:
            steps += [(_hours(rng, 200), staff, "escalate", S.ESCALATED, "涉及金额较大，移交县人民调解委员会", True, {}),
                      (_hours(rng, 400), county_user, "close", S.CLOSED, "", False,
                       {"resolution": Case.Resolution.RESOLVED, "agreement_terms": rng.choice(AGREEMENTS),
                        "performance": "三十日内履行完毕"})]
        elif r < 0.11:
            steps.append((_hours(rng, 360, 0.5), staff, "close", S.CLOSED, "", False,
                          {"resolution": Case.Resolution.UNRESOLVED, "referred_to": "县人民法院诉讼服务中心"}))
        else:
            steps.append((_hours(rng, 200, 0.7), staff, "close", S.CLOSED, "", False,
                          {"resolution": Case.Resolution.RESOLVED, "agreement_terms": rng.choice(AGREEMENTS),
                           "performance": "签字后七日内在社区调解室当面履行"}))
        i = b.add(case, steps)
        b.parties += [(i, Party(role=Party.Role.APPLICANT, name=name or "申请人")),
                      (i, Party(role=Party.Role.RESPONDENT, name=_other_name(rng)))]
        if case.status in (S.IN_PROGRESS, S.CLOSED, S.ESCALATED):
            first = case.created_at + dt.timedelta(days=rng.randint(1, 4))
            for k in range(rng.randint(1, 3)):
                held = first + dt.timedelta(days=5 * k)
                if held < (case.closed_at or now):
                    b.sessions.append((i, MediationSession(held_at=held, place="社区人民调解室", mediator=staff,
                                                           record="听取双方陈述，释法明理，引导双方互谅互让。")))
        if case.status == S.CLOSED and case.closed_at < now - dt.timedelta(days=14) and rng.random() < 0.85:
            case.followed_up_at = case.closed_at + dt.timedelta(days=rng.randint(7, 14))
            case.follow_up_note = "回访时双方表示协议已履行，关系缓和。"


def _other_name(rng):
    from linli.demo.generator import _name

    return _name(rng)


def _county_example(b, county_user, by_kind, staff_of, com, now):
    """The county office's own: a concern its first community escalated to the county, now the county
    login's to answer and past its deadline (so the county is told of overdue cases whatever the
    random draw gave the other cases)."""
    staff = staff_of.get(com.pk) or county_user
    concern = next(s for s in by_kind[Kind.CONCERN] if s.code == "street_lighting")
    created = now - dt.timedelta(days=12)
    case = Case(kind=Kind.CONCERN, service=concern, division=com, created_at=created, is_demo=True,
                description="主干道路灯成片不亮，涉及供电和市政两个部门", title=f"{concern.name}：主干道路灯成片不亮",
                due_at=created + dt.timedelta(hours=deadline_hours(Kind.CONCERN, "normal")))
    b.add(case, [(dt.timedelta(hours=3), staff, "dispatch", S.IN_PROGRESS, "", True, {"assignee": staff}),
                 (dt.timedelta(hours=50), staff, "escalate", S.ESCALATED, "涉及多个部门，提请县里协调", True,
                  {"assignee": county_user})])


def _resident_examples(b, rng, user, by_kind, teams, staff_of, communities, now):
    """The demo resident's own: one order done and waiting for their rating, one concern in progress."""
    person = getattr(user, "person", None)
    if person is None:
        return
    com = person.division.community()
    staff = staff_of.get(com.pk)
    order = next(s for s in by_kind[Kind.ORDER] if s.code == "home_repair")
    created = now - dt.timedelta(days=2)
    case = Case(kind=Kind.ORDER, service=order, division=com, person=person, reporter=user, created_at=created,
                description="厨房水龙头一直滴水", title=f"{order.name}：厨房水龙头一直滴水", is_demo=True,
                attributes={"what": "water"}, due_at=created + dt.timedelta(hours=72))
    b.add(case, [(dt.timedelta(hours=2), staff, "dispatch", S.DISPATCHED, "", True,
                  {"team": teams.get("party_member"), "assignee": staff}),
                 (dt.timedelta(hours=3), None, "accept", S.IN_PROGRESS, "", True, {}),
                 (dt.timedelta(hours=20), None, "complete", S.DONE, "已更换阀芯，不再滴水", True,
                  {"report": "已更换阀芯，不再滴水", "hours": 1})])
    concern = next(s for s in by_kind[Kind.CONCERN] if s.code == "street_lighting")
    created = now - dt.timedelta(days=1)
    case = Case(kind=Kind.CONCERN, service=concern, division=com, person=person, reporter=user, created_at=created,
                description="小区东门路灯不亮", title=f"{concern.name}：小区东门路灯不亮", is_demo=True,
                due_at=created + dt.timedelta(hours=168))
    b.add(case, [(dt.timedelta(hours=4), staff, "dispatch", S.IN_PROGRESS, "", True, {"assignee": staff})])


def _save(b):
    for c in b.cases:
        if not c.title:
            c.title = c.service.name
        c.title = c.title[:120]
    Case.objects.bulk_create(b.cases, batch_size=500)
    if b.cases and b.cases[0].pk is None:  # backends that do not return ids from bulk_create
        by_token = dict(Case.objects.filter(is_demo=True).values_list("token", "pk"))
        for c in b.cases:
            c.pk = c.id = by_token[c.token]
    for i, e in b.events:
        e.case_id = b.cases[i].pk
    CaseEvent.objects.bulk_create([e for _, e in b.events], batch_size=1000)
    for i, p in b.parties:
        p.case_id = b.cases[i].pk
    Party.objects.bulk_create([p for _, p in b.parties], batch_size=1000)
    for i, s in b.sessions:
        s.case_id = b.cases[i].pk
    MediationSession.objects.bulk_create([s for _, s in b.sessions], batch_size=1000)


def _hours_to_volunteers(b, staff_of, county_user, now):
    """Recent orders' hours become pending service records through the volunteers app's own service."""
    from django.core.exceptions import ValidationError

    from linli.volunteers import services as volunteer_services
    from linli.volunteers.models import ServiceRecord

    recent = [c for c in b.cases if c.kind == Kind.ORDER and c.volunteer_id and c.hours
              and c.status in (S.DONE, S.CLOSED) and c.updated_at > now - dt.timedelta(days=30)][:40]
    for c in recent:
        recorder = staff_of.get(c.division_id) or county_user
        try:
            record = volunteer_services.service_record_from(
                source=ServiceRecord.Source.ORDER, volunteer=c.volunteer, by=recorder,
                start=c.updated_at - dt.timedelta(hours=float(c.hours) + 1),
                end=c.updated_at - dt.timedelta(hours=0.5), hours=c.hours,
                content=f"服务订单 {c.number}：{c.service.name}")
        except ValidationError:
            continue
        Case.objects.filter(pk=c.pk).update(service_record=record)
