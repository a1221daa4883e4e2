"""The demo county's employment-assistance workshops: a garment line at 新城 (厂房式), an electronics
line at 黄埠 (厂房式, lost poor workers this summer: under monitoring, in its grace period), and
home-based beadwork at 东门 (居家式, no room: the work is done at home, collected at the center); tens
of workers of working age from the communities' households, most of them tagged 脱贫人口 / 监测对象 on
the register; a year of piece and day records; pay runs and the wage ledger up to the month before
last, all paid except 黄埠's (past due, flagged); last month's records waiting for their pay run;
four quarterly reviews; a submitted and a draft subsidy application; and a few findings for the
county office (a worker on two rosters, a name on the roster never paid, a household whose income
fell, a worker who stopped last month).

Through the services: the operators' workshops, jobs and rate changes, the workers, the pay runs, the
payments, the reviews and the applications. With bulk_create (the volume needs it; the services refuse
the past a year back where they should not, e.g. duplicate windows): the year's work records — the
same rows record_add writes, confirmed by the workshop. The care tags are register data (set as the
register keepers would). Deterministic with the generator's rng.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import Role, User
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.people.models import CareTag, Person
from linli.places.models import Room, Site

from . import creditcode, services
from .models import JIANCE, TUOPIN, Job, LedgerRow, PayRun, Worker, WorkRecord, WorkshopKind

MONTHS = 12  # a year of records


def ensure_reference_data() -> None:
    """The kinds and care tags migration 0002 seeds, again if a flush removed them (transactional tests,
    a restore into an emptied database)."""
    import importlib

    seed = importlib.import_module("linli.workshops.migrations.0002_seed")
    for code, name, name_en, home in seed.KINDS:
        WorkshopKind.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "home_based": home})
    for code, name, name_en in seed.TAGS:
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})


def _workers_from(community: Division, *, n: int, rng, taken: set, today: dt.date, prefer=None) -> list[Person]:
    """Persons of working age (18–58) of the community's households, heads and spouses first."""
    young, old = today.replace(year=today.year - 58), today.replace(year=today.year - 18)
    qs = (Person.objects.filter(division__path__startswith=community.path, birth_date__gte=young,
                                birth_date__lte=old, id_number_index__isnull=False)
          .exclude(pk__in=taken).order_by("pk"))
    ids = list(qs.values_list("pk", flat=True))
    rng.shuffle(ids)
    if prefer is not None:
        first = set(qs.filter(division=prefer).values_list("pk", flat=True))
        ids = [i for i in ids if i in first] + [i for i in ids if i not in first]
    picked = ids[:n]
    taken.update(picked)
    by_pk = Person.objects.in_bulk(picked)
    return [by_pk[i] for i in picked]


def _tag(persons, rng, share: float) -> None:
    """Register data: the first `share` of the workers tagged 脱贫 (most) or 监测."""
    tags = {t.code: t for t in CareTag.objects.filter(code__in=(TUOPIN, JIANCE))}
    through = Person.care_tags.through
    rows = []
    for p in persons[:round(len(persons) * share)]:
        rows.append(through(person_id=p.pk, caretag_id=tags[TUOPIN if rng.random() < 0.7 else JIANCE].pk))
    through.objects.bulk_create(rows, ignore_conflicts=True)


def _records(workers, jobs, *, first: dt.date, last: dt.date, rng, by, per_day, days_per_month, low=None):
    """Weekday records of each worker on the first job (pieces) and now and then a day of the day job."""
    tz = timezone.get_current_timezone()
    piece = next(j for j in jobs if j.pay_kind == Job.PayKind.PIECE)
    day_job = next((j for j in jobs if j.pay_kind == Job.PayKind.DAY), None)
    rows = []
    for w in workers:
        day = max(first, w.started_on)
        end = min(last, w.ended_on or last)
        while day <= end:
            if day.weekday() < 5 and rng.random() < days_per_month / 22:
                use_day = day_job is not None and rng.random() < 0.08
                qty = Decimal(1) if use_day else Decimal(int(per_day * rng.uniform(0.75, 1.2)))
                if low and w.pk in low and services.month_start(day) == low[w.pk]:
                    qty = Decimal(1) if use_day else Decimal(max(1, int(qty * Decimal("0.3"))))
                at = dt.datetime.combine(day, dt.time(17, rng.randint(0, 59)), tzinfo=tz)
                rows.append(WorkRecord(
                    worker=w, job=day_job if use_day else piece, date=day, quantity=qty,
                    hours=Decimal(8) if use_day or w.workshop.kind.code != "home" else None,
                    cycle=services.month_start(day), status=WorkRecord.Status.CONFIRMED,
                    source=WorkRecord.Source.WORKSHOP, entered_by=by, entered_at=at, confirmed_by=by,
                    confirmed_at=at, is_demo=True))
            day += dt.timedelta(days=1)
    WorkRecord.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def extend(*, rng, logins):
    from linli.demo.generator import DEMO_PASSWORD, Login

    ensure_reference_data()
    today = timezone.localdate()
    this = services.month_start(today)
    first = services.add_months(this, -MONTHS)
    opened = services.add_months(this, -MONTHS - 4)
    office = User.objects.get(username="county")
    staff = User.objects.get(username="staff")
    kinds = {k.code: k for k in WorkshopKind.objects.all()}
    coms = {d.name: d for d in Division.objects.filter(level=Division.Level.COMMUNITY,
                                                       name__in=("新城社区", "黄埠社区", "东门社区"))}
    if len(coms) < 3:
        return
    first_grid = User.objects.get(username="grid").roles.first().division
    resident_person = Person.objects.filter(user__username="resident").first()

    def room_of(com):
        return Room.objects.filter(site__division=com, function=Room.Function.WORKSHOP).select_related("site").first()

    def operator(com, name, i):
        org = Organization.objects.create(name=name, kind=Organization.Kind.OTHER, division=com,
                                          contact_name="厂长", contact_phone=f"0797-86{10000 + i}")
        return org, creditcode.make("360724", f"MA{35 + i}X{i:05d}")

    specs = [
        # community, workshop, operator, kind, products, hours, jobs [(name, kind, unit, rate)], workers, poor share
        ("新城社区", "新城服饰帮扶车间", "上犹县新城服饰有限公司", "factory", "服装缝制、童装", "8:00-12:00 13:30-17:30",
         [("缝纫", "piece", "件", "0.80"), ("锁边", "piece", "件", "0.30"), ("质检", "day", "天", "100")], 16, 0.75, 150),
        ("黄埠社区", "黄埠电子帮扶车间", "赣州黄埠电子科技有限公司", "factory", "电子线束组装", "8:00-12:00 14:00-18:00",
         [("电子组装", "piece", "件", "0.12")], 8, 0.75, 900),
        ("东门社区", "东门居家手工帮扶车间", "上犹县东门手工艺品合作社", "home", "串珠饰品、藤编（居家加工）",
         "弹性时间 · 每周二、五收发货", [("串珠", "piece", "串", "1.50"), ("藤编", "piece", "只", "6.00")], 12, 0.7, 40),
    ]
    taken: set[int] = set()
    made = {}
    for i, (cname, wname, oname, kind, products, hours, job_specs, n, share, per_day) in enumerate(specs):
        com = coms[cname]
        room = room_of(com) if kind != "home" else None
        site = room.site if room else Site.objects.filter(division=com, is_neighborhood_center=True).order_by("pk").first()
        by = staff if cname == "东门社区" else office
        org, code = operator(com, oname, i)
        w = services.workshop_create(
            by=by, name=wname, operator=org, credit_code=code, site=site, room=room, kind=kinds[kind],
            products=products, hours=hours, opened_on=opened, contract_start=opened,
            contract_end=services.add_months(opened, 36) - dt.timedelta(days=1), insurer="中国人寿财产保险上犹支公司",
            insurance_policy=f"PICC3607240{i}{today.year}", insurance_expires=services.add_months(this, 7),
            insurance_per_worker_month=Decimal("20" if kind != "home" else "15"), contact_name=org.contact_name,
            contact_phone=org.contact_phone, is_demo=True)
        jobs = []
        for jname, pay_kind, unit, rate in job_specs:
            jobs.append(services.job_create(by=by, workshop=w, name=jname, pay_kind=pay_kind, unit=unit,
                                            rate=Decimal(rate), valid_from=opened))
        # A rate rise half a year ago (the pay runs use the rate in force on each record's day).
        services.rate_set(by=by, job=jobs[0], amount=Decimal(job_specs[0][3]) * Decimal("1.10"),
                          valid_from=services.add_months(this, -6))
        people = _workers_from(com, n=n, rng=rng, taken=taken, today=today,
                               prefer=first_grid if cname == "东门社区" else None)
        if cname == "东门社区" and resident_person and resident_person.pk not in taken \
                and resident_person.id_number and services.age_on(resident_person.id_number, today) >= 18:
            people = [resident_person, *people[:-1]]
            taken.add(resident_person.pk)
        _tag(people, rng, share)
        workers = []
        for k, p in enumerate(people):
            started = opened + dt.timedelta(days=rng.randint(0, 90)) if k < n - 2 else services.add_months(this, -5)
            contract = Worker.ContractKind.WORK if kind == "home" else Worker.ContractKind.LABOUR
            workers.append(services.worker_add(
                by=by, workshop=w, person=p, contract_kind=contract, contract_start=started, started_on=started,
                contract_end=None if kind == "home" else services.add_months(started, 36) - dt.timedelta(days=1),
                bank_account_masked=f"**** {rng.randint(1000, 9999)}", is_demo=True))
        made[cname] = (w, jobs, workers, by, per_day)

    # 黄埠 loses its poor workers this summer: three of them stop in the quarter before last.
    w_hb, _jobs, hb_workers, _by, _ = made["黄埠社区"]
    from .selectors import poor_person_ids

    poor = poor_person_ids({x.person_id for x in hb_workers})
    q_prev = services.add_months(services.quarter_start(today), -3)
    leavers = [x for x in hb_workers if x.person_id in poor][: max(0, len(poor) - 3)]
    for k, x in enumerate(leavers):
        services.worker_end(by=office, worker=x, ended_on=q_prev + dt.timedelta(days=20 + 9 * k), reason="外出务工")
    # One name on 黄埠's roster who never worked (the hollow shell the county's checks look for).
    ghost = hb_workers[-1] if hb_workers else None
    # 新城: one worker stopped last month (the grid worker's next visit).
    w_xc, _j, xc_workers, _b, _ = made["新城社区"]
    services.worker_end(by=office, worker=xc_workers[1], ended_on=services.add_months(this, -1) + dt.timedelta(days=9),
                        reason="家中有事")
    # 东门: one home worker's income fell sharply the month before last (a household to look in on).
    w_dm, _j, dm_workers, _b, _ = made["东门社区"]
    low = {dm_workers[1].pk: services.add_months(this, -2)} if len(dm_workers) > 1 else {}
    # A 东门 poor worker also on 新城's roster at the same time (counted twice: the check finds it).
    doubled = next((x for x in dm_workers[2:] if x.person_id not in {y.person_id for y in xc_workers}), None)
    if doubled is not None:
        Person.care_tags.through.objects.get_or_create(person_id=doubled.person_id,
                                                       caretag_id=CareTag.objects.get(code=TUOPIN).pk)
        services.worker_add(by=office, workshop=w_xc, person=doubled.person, contract_kind=Worker.ContractKind.LABOUR,
                            contract_start=services.add_months(this, -4), started_on=services.add_months(this, -4),
                            is_demo=True)

    last_month_end = this - dt.timedelta(days=1)
    for cname, (w, jobs, _workers, by, per_day) in made.items():
        working = [x for x in Worker.objects.filter(workshop=w).select_related("workshop__kind")
                   if ghost is None or x.pk != ghost.pk]
        _records(working, jobs, first=max(first, w.opened_on), last=last_month_end, rng=rng, by=by, per_day=per_day,
                 days_per_month=20 if cname != "东门社区" else 16, low=low)

    # Pay runs up to the month before last (last month's records wait for theirs), all paid but one.
    unpaid_cycle = services.add_months(this, -2)
    for cname, (w, _jobs, _workers, by, _) in made.items():
        cycle = first
        while cycle < services.add_months(this, -1):
            ded = {}
            for row in (WorkRecord.objects.filter(worker__workshop=w, cycle=cycle, worker__contract_kind="labour")
                        .values_list("worker_id", flat=True).distinct()):
                ded[row] = [{"label": "代扣个人养老保险", "amount": "96.00"}]
            at = timezone.make_aware(dt.datetime.combine(services.month_end(cycle) + dt.timedelta(days=1), dt.time(9)))
            run = services.pay_run_compute(by=by, workshop=w, cycle=cycle, deductions=ded, now=at, is_demo=True)
            if not (cname == "黄埠社区" and cycle == unpaid_cycle):
                pay_day = min(services.month_end(cycle) + dt.timedelta(days=rng.randint(5, 12)), today)
                paid_at = timezone.make_aware(dt.datetime.combine(pay_day, dt.time(16)))
                for row in LedgerRow.objects.filter(pay_run=run):
                    services.ledger_row_pay(by=by, row=row, pay_date=pay_day, now=paid_at,
                                            transfer_ref=f"农商行代发{pay_day:%Y%m%d}{row.pk:05d}")
            cycle = services.add_months(cycle, 1)
    services.pay_overdue_notify(today=today)  # the unpaid run, past due, is flagged to 黄埠's staff

    # Quarterly reviews of the last four finished quarters.
    q = services.add_months(services.quarter_start(today), -12)
    now = timezone.now()
    while q < services.quarter_start(today):
        for w, _jobs, _workers, _by, _ in made.values():
            if services.add_months(q, 3) > w.opened_on:
                services.review_record(by=office, workshop=w, quarter=q, now=now, is_demo=True)
        q = services.add_months(q, 3)

    # Subsidy applications: 新城's job award for the last finished quarter (submitted), a draft.
    q_last = services.add_months(services.quarter_start(today), -3)
    app = services.subsidy_application_create(
        by=office, workshop=w_xc, kind="job_award", period_start=q_last,
        period_end=services.add_months(q_last, 3) - dt.timedelta(days=1), amount=Decimal("10000"), is_demo=True)
    if app.roster:
        services.subsidy_application_submit(by=office, application=app)
    services.subsidy_application_create(
        by=staff, workshop=w_dm, kind="stabilisation", period_start=services.add_months(this, -6),
        period_end=last_month_end, amount=Decimal("6000"), is_demo=True)

    # The operator's manager of 新城 (enters and confirms its records).
    manager = User.objects.create_user("workshop", password=DEMO_PASSWORD, display_name="新城服饰帮扶车间 周厂长")
    Role.objects.create(user=manager, kind=Role.Kind.RESIDENT, division=coms["新城社区"])
    services.workshop_manager_add(by=office, workshop=w_xc, user=manager)
    logins.append(Login("workshop", "workshop manager", w_xc.name))
    assert PayRun.objects.filter(paid_at__isnull=True).count() <= 1
