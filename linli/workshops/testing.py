"""Test helpers for the workshops: an operator and a workshop at a site of a community (valid credit code,
insurance, contract), jobs with rates, persons of the register (with an ID number of a given age and the
poor tags), workers under contract, and a month of confirmed records."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import Role
from linli.core.idcard import make as make_id
from linli.core.testing import (
    HouseholdFactory,
    OrganizationFactory,
    PersonFactory,
    RoomFactory,
    SiteFactory,
    UserFactory,
    grant,
)
from linli.people.models import CareTag, Membership
from linli.places.models import Room

from . import creditcode, services
from .demo import ensure_reference_data
from .models import Job, Worker, Workshop, WorkshopKind

LONG_AGO = dt.date(2020, 1, 1)


def staff_user(division, **kw):
    return grant(UserFactory(**kw), Role.Kind.COMMUNITY_STAFF, division)


def county_user(county, **kw):
    return grant(UserFactory(**kw), Role.Kind.COUNTY_ADMIN, county)


def workshop(division, *, by, kind: str = "factory", opened_on: dt.date = LONG_AGO, **kw) -> Workshop:
    ensure_reference_data()
    site = SiteFactory(division=division)
    room = RoomFactory(site=site, name="就业帮扶车间", function=Room.Function.WORKSHOP, capacity=40)
    operator = kw.pop("operator", None) or OrganizationFactory(division=division, name=f"{division.name}服饰有限公司")
    defaults = dict(
        name=f"{division.name}帮扶车间", credit_code=creditcode.make("360724", f"MA{operator.pk:07d}"),
        products="手工编织品", hours="8:00-12:00 14:00-18:00", contract_start=LONG_AGO, contract_end=None,
        insurer="中国人寿", insurance_policy="P360724001", insurance_expires=timezone.localdate() + dt.timedelta(days=365),
        insurance_per_worker_month=Decimal("20"), contact_name="王经理", contact_phone="13800000000")
    defaults.update(kw)
    return services.workshop_create(by=by, operator=operator, site=site, room=room,
                                    kind=WorkshopKind.objects.get(code=kind), opened_on=opened_on, **defaults)


def job(w: Workshop, *, by, name="缝纫", pay_kind=Job.PayKind.PIECE, rate="0.50", valid_from=LONG_AGO) -> Job:
    return services.job_create(by=by, workshop=w, name=name, pay_kind=pay_kind, rate=Decimal(rate),
                               valid_from=valid_from)


def person(grid, *, age=40, born=None, tags=(), user=None, household=None, relation=Membership.Relation.HEAD):
    """A person in a household of `grid`, `age` years old today (to the day) unless `born` is given."""
    today = timezone.localdate()
    born = born or today.replace(year=today.year - age)
    p = PersonFactory(division=grid, user=user, with_id=False)
    p.set_id_number(make_id("360724", born, p.pk % 900 + 1))
    p.save()
    for t in tags:
        p.care_tags.add(CareTag.objects.get(code=t))
    household = household or HouseholdFactory(division=grid)
    Membership.objects.create(person=p, household=household, relation=relation, start_date=LONG_AGO)
    return p


def worker(w: Workshop, p, *, by, started_on=LONG_AGO, contract_start=None, contract_end=None,
           kind=Worker.ContractKind.LABOUR) -> Worker:
    return services.worker_add(by=by, workshop=w, person=p, contract_kind=kind,
                               contract_start=contract_start or started_on, contract_end=contract_end,
                               started_on=started_on)


def month_of_work(wk: Worker, j: Job, *, by, cycle: dt.date, per_day=100, days=20):
    """`days` weekdays of `per_day` pieces (or a day of day work) in the month of `cycle`, confirmed."""
    day, done, out = cycle.replace(day=1), 0, []
    while done < days and day.month == cycle.month:
        if day.weekday() < 5:
            qty = 1 if j.pay_kind == Job.PayKind.DAY else per_day
            out.append(services.record_add(by=by, worker=wk, job=j, date=day, quantity=qty, hours=8,
                                           now=timezone.make_aware(dt.datetime.combine(day, dt.time(18)))))
            done += 1
        day += dt.timedelta(days=1)
    return out


def last_month() -> dt.date:
    return services.add_months(timezone.localdate().replace(day=1), -1)
