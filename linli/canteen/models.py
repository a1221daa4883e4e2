"""The elderly canteen (孝老食堂 / 老年助餐): canteens at a site's canteen room, diners (persons on the
register, with consent), subsidy tiers as dated rules per county, menus, orders, meal records that are
never edited (a mistake is reversed by a new record), home delivery, food-safety records (晨检, 留样,
purchases) and the settlement per period, frozen once issued.
"""

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet

# Who runs a canteen: the roles whose grants show its diners, meals and records.
STAFF_ROLES = ("county_admin", "community_staff", "site_manager")
# Who may take an order for an elder besides staff and the family: the grid worker on a visit.
ORDER_ROLES = (*STAFF_ROLES, "grid_worker")
ZERO = Decimal("0.00")


class Slot(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")


class DietOption(models.TextChoices):
    SOFT = "soft", _("Soft (软食)")
    LOW_SALT = "low_salt", _("Low salt (低盐)")
    DIABETIC = "diabetic", _("Diabetic (低糖)")


def card_token() -> str:
    return secrets.token_urlsafe(12)


def default_slot_hours() -> dict:
    return {"lunch": ["11:00", "13:00"], "dinner": ["17:00", "18:30"]}


class Canteen(models.Model):
    """An elderly canteen: a site's room of function canteen, its serving hours per slot and its food
    business permit. Public (its weekly menu is on a page without login)."""

    name = models.CharField(_("name"), max_length=100)
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT,
                             related_name="canteens")
    room = models.OneToOneField("places.Room", verbose_name=_("room"), on_delete=models.PROTECT,
                                related_name="canteen")
    slot_hours = models.JSONField(_("serving hours"), default=default_slot_hours,
                                  help_text=_('Per meal slot: {"lunch": ["11:00", "13:00"]}'))
    permit_number = models.CharField(_("food business permit number"), max_length=40, blank=True)
    permit_expires = models.DateField(_("permit expires"), null=True, blank=True)
    meal_price = models.DecimalField(_("price of a meal (yuan)"), max_digits=6, decimal_places=2,
                                     default=Decimal("15.00"), validators=[MinValueValidator(ZERO)])
    delivers = models.BooleanField(_("delivers meals to homes"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("elderly canteen")
        verbose_name_plural = _("elderly canteens")
        ordering = ["site__division__path", "name"]

    def __str__(self):
        return self.name

    @property
    def slots(self) -> list[str]:
        return [s for s in Slot.values if s in (self.slot_hours or {})]

    def hours_of(self, slot: str) -> tuple[dt.time, dt.time] | None:
        pair = (self.slot_hours or {}).get(slot)
        if not pair:
            return None
        return dt.time.fromisoformat(pair[0]), dt.time.fromisoformat(pair[1])


class TierRule(models.Model):
    """A subsidy tier of a county, as data the county office edits: who qualifies (an age from the ID
    number's birth date and/or one of some care tags; a residence rule), how much per meal and per
    day, for which slots, from when until when. Two rules of the same tier never overlap in time. A
    diner gets the qualifying tier with the highest amount per meal."""

    class Residence(models.TextChoices):
        RESIDENT = "resident", _("Lives in the county (on the register)")
        HUKOU = "hukou", _("Hukou in the county")

    county = models.ForeignKey("divisions.Division", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="canteen_tiers")
    code = models.SlugField(_("tier code"), max_length=40)
    name = models.CharField(_("tier name"), max_length=60)
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    care_tags = models.ManyToManyField("people.CareTag", verbose_name=_("any of these care tags"), blank=True,
                                       related_name="+")
    age_or_tag = models.BooleanField(_("age OR tag qualifies"), default=False,
                                     help_text=_("Off: both the age and one of the tags are needed."))
    residence = models.CharField(_("residence rule"), max_length=10, choices=Residence.choices,
                                 default=Residence.RESIDENT)
    amount_per_meal = models.DecimalField(_("subsidy per meal (yuan)"), max_digits=6, decimal_places=2,
                                          validators=[MinValueValidator(Decimal("0.01"))])
    max_per_day = models.DecimalField(_("subsidy cap per day (yuan)"), max_digits=6, decimal_places=2,
                                      null=True, blank=True)
    meals_per_day = models.PositiveSmallIntegerField(_("subsidised meals per day"), default=1,
                                                     validators=[MinValueValidator(1)])
    slots = models.JSONField(_("meal slots"), default=list)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "county"
    scope_public_upward = True

    class Meta:
        verbose_name = _("subsidy tier")
        verbose_name_plural = _("subsidy tiers")
        ordering = ["county", "-amount_per_meal", "code", "valid_from"]
        constraints = [models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                              name="tier_valid_order")]

    def __str__(self):
        return f"{self.name} ({self.valid_from:%Y-%m-%d}–{self.valid_to or ''})"

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Diner(models.Model):
    """A person on the register who eats at the canteens, registered at a home canteen with their
    consent; their card (QR, signed token) is used at the counter. Nothing of the person is retyped."""

    person = models.OneToOneField("people.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                                  related_name="diner")
    canteen = models.ForeignKey(Canteen, verbose_name=_("home canteen"), on_delete=models.PROTECT,
                                related_name="diners")
    hukou_local = models.BooleanField(_("hukou in the county"), default=False,
                                      help_text=_("As seen in the household register booklet at registration."))
    diet = models.JSONField(_("diet"), default=list, blank=True)
    allergies = models.CharField(_("allergies"), max_length=200, blank=True)
    delivery = models.BooleanField(_("meals delivered home"), default=False)
    route = models.ForeignKey("DeliveryRoute", verbose_name=_("delivery route"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="diners")
    route_order = models.PositiveSmallIntegerField(_("stop number"), default=0)
    card_token = models.CharField(max_length=40, unique=True, default=card_token, editable=False)
    consent_at = models.DateTimeField(_("consent given at"))
    consent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("consent recorded by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    consent_version = models.CharField(_("consent text version"), max_length=20)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = ORDER_ROLES

    class Meta:
        verbose_name = _("diner")
        verbose_name_plural = _("diners")
        ordering = ["canteen", "person__name"]

    def __str__(self):
        return self.person.name

    @classmethod
    def scope_own(cls, user):
        # The elder and the members of the elder's current household (family may order for them).
        households = models.Subquery(
            _memberships().filter(person__user=user, end_date__isnull=True).values("household_id"))
        family = _memberships().filter(household_id__in=households, end_date__isnull=True).values("person_id")
        return Q(person__user=user) | Q(person_id__in=family)


def _memberships():
    from linli.people.models import Membership

    return Membership.objects


class MenuDish(models.Model):
    """A dish on a day's menu at a slot; the week's dishes are the weekly menu."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE, related_name="dishes")
    date = models.DateField(_("date"))
    slot = models.CharField(_("meal"), max_length=10, choices=Slot.choices)
    name = models.CharField(pgettext_lazy("dish", "name"), max_length=60)
    price = models.DecimalField(_("price (yuan)"), max_digits=6, decimal_places=2,
                                validators=[MinValueValidator(ZERO)])
    allergens = models.CharField(_("allergens"), max_length=100, blank=True)
    options = models.JSONField(_("diet options"), default=list, blank=True)
    portions_cooked = models.PositiveIntegerField(_("portions cooked"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_public_upward = True

    class Meta:
        verbose_name = _("dish on the menu")
        verbose_name_plural = _("dishes on the menu")
        ordering = ["date", "slot", "pk"]
        indexes = [models.Index(fields=["canteen", "date"], name="canteen_dish_day")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.slot} {self.name}"

    def option_labels(self) -> list[str]:
        labels = dict(DietOption.choices)
        return [str(labels[o]) for o in self.options if o in labels]


class Order(models.Model):
    """A meal ordered for a day and slot (a day ahead, or on the day until the cut-off)."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Ordered")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        SELF = "self", _("The elder")
        FAMILY = "family", _("A family member")
        STAFF = "staff", _("Staff (by phone)")
        GRID = "grid", _("Grid worker on a visit")

    diner = models.ForeignKey(Diner, verbose_name=_("diner"), on_delete=models.PROTECT, related_name="orders")
    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.PROTECT, related_name="orders")
    date = models.DateField(_("date"))
    slot = models.CharField(_("meal"), max_length=10, choices=Slot.choices)
    dish = models.ForeignKey(MenuDish, verbose_name=_("dish"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="orders")
    delivery = models.BooleanField(_("deliver home"), default=False)
    channel = models.CharField(_("ordered by"), max_length=10, choices=Channel.choices)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("placed by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLACED)
    created_at = models.DateTimeField(_("ordered at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cancelled by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = ORDER_ROLES

    class Meta:
        verbose_name = _("meal order")
        verbose_name_plural = _("meal orders")
        ordering = ["-date", "slot", "pk"]
        indexes = [models.Index(fields=["canteen", "date", "status"], name="canteen_order_day")]
        constraints = [models.UniqueConstraint(fields=["diner", "date", "slot"], condition=Q(status="placed"),
                                               name="canteen_one_order_per_slot")]

    def __str__(self):
        return f"{self.diner_id} {self.date:%Y-%m-%d} {self.slot}"

    @classmethod
    def scope_own(cls, user):
        return Q(diner__in=Diner.objects.filter(Diner.scope_own(user)))


class ImmutableRecord(models.Model):
    """A record that is written once: saving it again or deleting it is refused (a mistake is
    corrected by a new record)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(_("Meal records are never changed; reverse it with a new record."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Meal records are never deleted; reverse it with a new record."))


class Meal(ImmutableRecord):
    """A meal served (人次): who, when, which slot, price, subsidy and what the diner paid; or the
    reversal of one (negative amounts, a reason, pointing at the meal it reverses). `booked_on` is the
    day the record counts in a settlement: the serving day, or — for a reversal recorded after that
    period was settled — the day the reversal was recorded (it goes to the next period, visibly)."""

    class Method(models.TextChoices):
        CARD = "card", _("Diner's card")
        SEARCH = "search", _("Name or ID digits")
        WALK_IN = "walk_in", _("Walk-in (no subsidy)")
        DELIVERY = "delivery", _("Home delivery")
        REVERSAL = "reversal", _("Reversal")

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.PROTECT, related_name="meals")
    diner = models.ForeignKey(Diner, verbose_name=_("diner"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="meals")
    date = models.DateField(_("date served"))
    slot = models.CharField(_("meal"), max_length=10, choices=Slot.choices)
    served_at = models.DateTimeField(_("served at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    price = models.DecimalField(_("price"), max_digits=7, decimal_places=2)
    subsidy = models.DecimalField(_("subsidy"), max_digits=7, decimal_places=2, default=ZERO)
    paid = models.DecimalField(_("paid by the diner"), max_digits=7, decimal_places=2)
    tier = models.ForeignKey(TierRule, verbose_name=_("subsidy tier"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="meals")
    tier_reason = models.CharField(_("why subsidised"), max_length=120, blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    booked_on = models.DateField(_("counts in the period of"))
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("meal record")
        verbose_name_plural = _("meal records")
        ordering = ["-served_at", "-pk"]
        indexes = [models.Index(fields=["canteen", "booked_on"], name="canteen_meal_booked"),
                   models.Index(fields=["diner", "date", "slot"], name="canteen_meal_diner_slot"),
                   models.Index(fields=["date"], name="canteen_meal_date")]
        constraints = [
            models.CheckConstraint(condition=Q(paid=models.F("price") - models.F("subsidy")), name="meal_paid_is_rest"),
            models.CheckConstraint(condition=Q(reverses__isnull=True) | Q(method="reversal"),
                                   name="meal_reversal_kind"),
            models.CheckConstraint(condition=Q(reverses__isnull=False) | ~Q(method="reversal"),
                                   name="meal_reversal_points_back"),
        ]

    def __str__(self):
        return f"{self.canteen_id} {self.date:%Y-%m-%d} {self.slot} {self.diner_id or '-'}"

    @classmethod
    def scope_own(cls, user):
        return Q(diner__person__user=user)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class RefusedMeal(models.Model):
    """An attempt the counter refused (not eligible, a second subsidised meal in a slot, a closed
    period): kept for staff, nothing else recorded."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE, related_name="+")
    diner = models.ForeignKey(Diner, verbose_name=_("diner"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    slot = models.CharField(_("meal"), max_length=10, choices=Slot.choices)
    reason = models.CharField(_("reason"), max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tried by"), null=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("refused meal")
        verbose_name_plural = _("refused meals")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.reason}"


class DeliveryRoute(models.Model):
    """A home-delivery round of a canteen; its stops are the diners on it, in stop order."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE, related_name="routes")
    name = models.CharField(_("route"), max_length=60)
    volunteer = models.ForeignKey("volunteers.Volunteer", verbose_name=_("usual volunteer"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="canteen_routes")

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("delivery route")
        verbose_name_plural = _("delivery routes")
        ordering = ["canteen", "name"]

    def __str__(self):
        return f"{self.canteen} · {self.name}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


class DeliveryRun(models.Model):
    """A route on a day and slot, assigned to a volunteer; its start and finish make the volunteer's
    pending service record."""

    route = models.ForeignKey(DeliveryRoute, verbose_name=_("route"), on_delete=models.PROTECT, related_name="runs")
    date = models.DateField(_("date"))
    slot = models.CharField(_("meal"), max_length=10, choices=Slot.choices, default=Slot.LUNCH)
    volunteer = models.ForeignKey("volunteers.Volunteer", verbose_name=_("volunteer"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="canteen_runs")
    started_at = models.DateTimeField(_("set out at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    service_record = models.OneToOneField("volunteers.ServiceRecord", verbose_name=_("service record"), null=True,
                                          blank=True, on_delete=models.SET_NULL, related_name="canteen_run")

    objects = ScopedQuerySet.as_manager()
    scope_field = "route__canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("delivery round")
        verbose_name_plural = _("delivery rounds")
        ordering = ["-date", "route", "slot"]
        constraints = [models.UniqueConstraint(fields=["route", "date", "slot"], name="canteen_run_once")]

    def __str__(self):
        return f"{self.route} {self.date:%Y-%m-%d} {self.slot}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


class Delivery(models.Model):
    """A stop of a round: the meal brought to the diner's door, confirmed there with one tap."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("To deliver")
        DELIVERED = "delivered", _("Delivered")
        NOBODY_HOME = "nobody_home", _("Nobody home")
        DECLINED = "declined", _("Declined")

    MISSED = (Status.NOBODY_HOME, Status.DECLINED)

    run = models.ForeignKey(DeliveryRun, verbose_name=_("round"), on_delete=models.CASCADE, related_name="stops")
    diner = models.ForeignKey(Diner, verbose_name=_("diner"), on_delete=models.PROTECT, related_name="deliveries")
    stop = models.PositiveSmallIntegerField(_("stop number"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("canteen staff", "confirmed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    unwell = models.BooleanField(_("looks unwell"), default=False)
    note = models.CharField(_("wellbeing note"), max_length=300, blank=True)
    meal = models.OneToOneField(Meal, verbose_name=_("meal record"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="delivery")
    concern = models.ForeignKey("cases.Case", verbose_name=_("concern raised"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    seen_by_staff_at = models.DateTimeField(_("seen by staff at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "run__route__canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["run", "stop", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "diner"], name="canteen_delivery_once_per_run")]

    def __str__(self):
        return f"{self.run} #{self.stop}"

    @classmethod
    def scope_own(cls, user):
        return Q(run__volunteer__person__user=user)


class HealthCheck(models.Model):
    """The morning health check (晨检) of one kitchen worker: any symptom means not on duty that day."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE,
                                related_name="health_checks")
    date = models.DateField(_("date"))
    worker = models.CharField(_("kitchen worker"), max_length=50)
    fever = models.BooleanField(_("fever"), default=False)
    diarrhoea = models.BooleanField(_("diarrhoea"), default=False)
    sore_throat = models.BooleanField(_("sore throat"), default=False)
    skin_wound = models.BooleanField(_("skin wound"), default=False)
    on_duty = models.BooleanField(_("on duty"), default=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("morning health check")
        verbose_name_plural = _("morning health checks")
        ordering = ["-date", "worker"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "date", "worker"], name="canteen_check_once_a_day"),
            models.CheckConstraint(condition=Q(on_duty=False) | Q(fever=False, diarrhoea=False, sore_throat=False,
                                                                  skin_wound=False),
                                   name="canteen_check_symptom_off_duty"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.worker}"


class Sample(models.Model):
    """A retained sample (留样) of a dish: at least the set grams, kept at least the set hours, by a
    named person; it may be discarded from `discard_after`."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE, related_name="samples")
    date = models.DateField(_("date"))
    slot = models.CharField(_("meal"), max_length=10, choices=Slot.choices)
    dish = models.ForeignKey(MenuDish, verbose_name=_("dish"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="samples")
    dish_name = models.CharField(pgettext_lazy("dish", "name"), max_length=60)
    grams = models.PositiveIntegerField(_("grams"))
    kept_at = models.DateTimeField(_("kept at"))
    keeper = models.CharField(_("kept by"), max_length=50)
    discard_after = models.DateTimeField(_("may be discarded after"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("retained sample")
        verbose_name_plural = _("retained samples")
        ordering = ["-kept_at", "pk"]
        indexes = [models.Index(fields=["canteen", "date"], name="canteen_sample_day")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.dish_name} {self.grams}g"


class Purchase(models.Model):
    """A purchase of food from a supplier (索证索票): what, how much, from whom, with the invoice."""

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE, related_name="purchases")
    date = models.DateField(_("date"))
    supplier = models.CharField(_("supplier"), max_length=100)
    supplier_licence = models.CharField(_("supplier's licence"), max_length=60, blank=True)
    item = models.CharField(_("item"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10, default="kg")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=9, decimal_places=2)
    invoice = models.CharField(_("invoice or receipt number"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("food purchase")
        verbose_name_plural = _("food purchases")
        ordering = ["-date", "pk"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.supplier} {self.item}"


class Settlement(models.Model):
    """A canteen's settlement for a period (month or quarter): meals by tier, subsidy owed and paid by
    diners, computed from the meal records booked in the period; the anti-fraud findings at the time
    of issuing. Issued is frozen: totals stay as issued and no record is booked into the period."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")

    canteen = models.ForeignKey(Canteen, verbose_name=_("canteen"), on_delete=models.PROTECT,
                                related_name="settlements")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    meals = models.PositiveIntegerField(_("meals"))
    subsidised_meals = models.PositiveIntegerField(_("subsidised meals"))
    subsidy = models.DecimalField(_("subsidy owed"), max_digits=12, decimal_places=2)
    paid = models.DecimalField(_("paid by diners"), max_digits=12, decimal_places=2)
    by_tier = models.JSONField(_("by tier"), default=list)
    carried = models.JSONField(_("reversals from earlier periods"), default=list)
    findings = models.JSONField(_("anti-fraud findings"), default=list)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "canteen__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-period_start", "canteen"]
        constraints = [models.UniqueConstraint(fields=["canteen", "period_start"], name="canteen_settle_once")]

    def __str__(self):
        return f"{self.canteen} {self.period_start:%Y-%m}"
