"""Test helpers for the canteen: a site with a canteen room and a canteen, a county's tier rules,
an elder on the register (with a household) registered as a diner, and a delivery volunteer."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import Role
from linli.core.idcard import make as make_id
from linli.core.testing import HouseholdFactory, PersonFactory, RoomFactory, SiteFactory, UserFactory, grant
from linli.people.models import CareTag, Membership
from linli.places.models import Room
from linli.volunteers.models import Volunteer

from . import services
from .models import Canteen, Diner

ALL_DAY = {"lunch": ["00:00", "23:59"], "dinner": ["00:00", "23:59"]}


def staff_user(division, **kw):
    return grant(UserFactory(**kw), Role.Kind.COMMUNITY_STAFF, division)


def county_user(county, **kw):
    return grant(UserFactory(**kw), Role.Kind.COUNTY_ADMIN, county)


def canteen(division, *, by, slot_hours=None, **kw) -> Canteen:
    site = SiteFactory(division=division)
    room = RoomFactory(site=site, name="孝老食堂", function=Room.Function.CANTEEN, capacity=40)
    return services.canteen_create(by=by, room=room, name=kw.pop("name", f"{division.name}孝老食堂"),
                                   slot_hours=slot_hours or ALL_DAY, meal_price=kw.pop("meal_price", Decimal("15")),
                                   **kw)


def tag(code, name):
    return CareTag.objects.update_or_create(code=code, defaults={"name": name})[0]


def tiers(county, *, by, valid_from=None):
    """Two tiers like Futian's: dibao/living alone 15 元 a meal; 70+ 5 元 a meal; lunch only."""
    valid_from = valid_from or dt.date(2020, 1, 1)
    first = services.tier_rule_create(by=by, county=county, code="class1", name="一类", amount_per_meal=Decimal("15"),
                                      valid_from=valid_from, care_tags=[tag("dibao", "低保户"),
                                                                        tag("living_alone_elderly", "独居老人")],
                                      min_age=60, slots=["lunch"])
    seventy = services.tier_rule_create(by=by, county=county, code="age70", name="70岁以上", min_age=70,
                                        amount_per_meal=Decimal("5"), valid_from=valid_from, slots=["lunch"])
    return first, seventy


def elder(grid, *, born=None, age=None, tags=(), user=None, household=None, since=None):
    """A person in a household of `grid`, born `age` years ago (to the day) unless `born` is given."""
    today = timezone.localdate()
    born = born or today.replace(year=today.year - (age or 75))
    person = PersonFactory(division=grid, user=user, with_id=False)
    person.set_id_number(make_id("360724", born, person.pk % 900 + 1))
    person.save()
    for t in tags:
        person.care_tags.add(CareTag.objects.get(code=t))
    household = household or HouseholdFactory(division=grid)
    Membership.objects.create(person=person, household=household, relation=Membership.Relation.HEAD,
                              start_date=since or dt.date(2000, 1, 1))
    return person


def diner(canteen, person, *, by, **kw) -> Diner:
    return services.diner_register(by=by, canteen=canteen, person=person, consent=True, **kw)


def volunteer(division, **kw):
    user = UserFactory(**kw)
    grant(user, Role.Kind.VOLUNTEER, division)
    person = PersonFactory(division=division, user=user, with_id=False)
    return user, Volunteer.objects.create(person=person, division=division, number=f"V{person.pk:06d}")
