"""Who gets which subsidy tier on a day, derived from the register (never typed in).

THE RULE
- A diner qualifies for a tier in force that day in the diner's county when the age on that day (from
  the birth date of the ID number) reaches the tier's age and/or the person carries one of its care
  tags, and the residence rule holds: living in the county (a household membership covering that day,
  under the county) or hukou in the county as recorded at registration.
- Leaving the register (a household membership that ended — moved out or died, people's
  `membership_end` — with none after it) ends eligibility from that day.
- Of the qualifying tiers, the one with the highest amount per meal wins; its reason is shown
  ("80岁以上 · 低保户").
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import Diner, TierRule


@dataclass
class Eligibility:
    tier: TierRule | None
    reason: str = ""
    left_register_on: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.tier is not None


def age_on(birth: dt.date | None, day: dt.date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def rules_for(division, day: dt.date | None = None) -> list[TierRule]:
    """The tiers of the counties (or city) above `division`, in force on `day` (all when None), the
    highest amount per meal first."""
    from django.db.models import Q

    qs = TierRule.objects.filter(county_id__in=division.ancestor_ids()).select_related("county")
    if day is not None:
        qs = qs.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    return sorted(qs.prefetch_related("care_tags"), key=lambda r: (-r.amount_per_meal, r.code, r.valid_from))


def _memberships(person) -> list:
    cached = getattr(person, "_canteen_memberships", None)
    if cached is None:
        cached = list(person.memberships.select_related("household__division").order_by("start_date", "pk"))
        person._canteen_memberships = cached
    return cached


def register_state(person, day: dt.date) -> tuple[list[str], dt.date | None]:
    """(paths of the divisions the person lives in on `day`, the day they left the register if they
    had by then). A membership ending on a day means not living there from that day."""
    memberships = _memberships(person)
    if not memberships:
        # A person on the register without a household: their own division says where they live.
        return [person.division.path], None
    covering = [m for m in memberships if m.start_date <= day and (m.end_date is None or m.end_date > day)]
    if covering:
        return [m.household.division.path for m in covering], None
    ended = [m.end_date for m in memberships if m.end_date is not None and m.end_date <= day]
    later = [m for m in memberships if m.start_date > day]
    return [], (max(ended) if ended and not later else None)


def tier_reason(rule: TierRule, age: int | None, tags: set[str]) -> str:
    parts = []
    if rule.min_age is not None and age is not None and age >= rule.min_age:
        parts.append(_("%(n)s+ years") % {"n": rule.min_age})
    parts += [str(t) for t in rule.care_tags.all() if t.code in tags]
    if rule.residence == TierRule.Residence.HUKOU:
        parts.append(_("local hukou"))
    return " · ".join(parts)


def qualifies(rule: TierRule, *, age: int | None, tags: set[str], lives_in: list[str], hukou_local: bool) -> bool:
    if rule.residence == TierRule.Residence.HUKOU and not hukou_local:
        return False
    if rule.residence == TierRule.Residence.RESIDENT and not any(p.startswith(rule.county.path) for p in lives_in):
        return False
    rule_tags = {t.code for t in rule.care_tags.all()}
    age_ok = rule.min_age is not None and age is not None and age >= rule.min_age
    tag_ok = bool(rule_tags & tags)
    if rule.min_age is None and not rule_tags:
        return True
    if rule.min_age is None:
        return tag_ok
    if not rule_tags:
        return age_ok
    return (age_ok or tag_ok) if rule.age_or_tag else (age_ok and tag_ok)


def eligibility(*, diner: Diner, day: dt.date, rules: list[TierRule] | None = None) -> Eligibility:
    """The diner's tier on `day`, with the reason, or why none."""
    person = diner.person
    if rules is None:
        rules = rules_for(diner.canteen.site.division, day)
    lives_in, left_on = register_state(person, day)
    if left_on is not None:
        return Eligibility(None, left_register_on=left_on,
                           notes=[_("Left the register on %(d)s (moved out or died).") % {"d": left_on}])
    tags = getattr(person, "_canteen_tags", None)
    if tags is None:
        tags = {t.code for t in person.care_tags.all()}
    age = age_on(person.birth_date, day)
    for rule in rules:
        if rule.in_force(day) and qualifies(rule, age=age, tags=tags, lives_in=lives_in,
                                            hukou_local=diner.hukou_local):
            return Eligibility(rule, tier_reason(rule, age, tags))
    return Eligibility(None, notes=[_("No subsidy tier applies.")])
