from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet


class Organization(models.Model):
    class Kind(models.TextChoices):
        PARTY_BRANCH = "party_branch", _("Party branch (党支部)")
        TRADE_UNION = "trade_union", _("Trade union (工会)")
        YOUTH_LEAGUE = "youth_league", _("Youth League (共青团)")
        WOMENS_FEDERATION = "womens_federation", _("Women's Federation (妇联)")
        SCHOOL = "school", _("School (学校)")
        CLINIC = "clinic", _("Clinic (卫生院/诊所)")
        POLICE_STATION = "police_station", _("Police station (派出所)")
        LAW_FIRM = "law_firm", _("Law firm (律师事务所)")
        CO_BUILDING_UNIT = "co_building_unit", _("Co-building unit (共建单位)")
        OTHER = "other", _("Other")

    name = models.CharField(pgettext_lazy("of a place or organisation", "name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    division = models.ForeignKey("divisions.Division", verbose_name=_("division"),
                                 on_delete=models.PROTECT, related_name="organizations")
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name
