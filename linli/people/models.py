from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import crypto, idcard
from linli.core.masking import mask_id_number, mask_phone
from linli.core.scoping import ScopedQuerySet

PEOPLE_ROLES = ("county_admin", "community_staff", "grid_worker")


class CareTag(models.Model):
    """A special group the grid cares for (独居老人, 残疾人, 低保户, 留守儿童, 困难党员 …); data, so a
    county can add its own."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    visit_every_days = models.PositiveSmallIntegerField(_("visit every (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        ordering = ["code"]

    def __str__(self):
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Household(models.Model):
    address = models.CharField(_("address"), max_length=200)
    division = models.ForeignKey("divisions.Division", verbose_name=_("grid or community"),
                                 on_delete=models.PROTECT, related_name="households")
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = PEOPLE_ROLES

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["division__path", "address"]

    def __str__(self):
        return self.address

    def get_absolute_url(self):
        return reverse("people:household_detail", args=[self.pk])

    @classmethod
    def scope_own(cls, user):
        # A subquery, not a join: a join through memberships would repeat a household once per member.
        current = Membership.objects.filter(person__user=user, end_date__isnull=True)
        return Q(pk__in=current.values("household_id"))


def age_of(birth_date, today=None) -> int | None:
    """Whole years since `birth_date`, today (None without a birth date)."""
    from datetime import date

    if not birth_date:
        return None
    today = today or date.today()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


class Person(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=50, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # ID-card number: AES-GCM ciphertext, keyed blind index (exact lookup, uniqueness), masked form.
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_index = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID-card number"), max_length=18, blank=True, editable=False)
    division = models.ForeignKey("divisions.Division", verbose_name=_("grid or community"),
                                 on_delete=models.PROTECT, related_name="persons")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user account"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="person")
    care_tags = models.ManyToManyField(CareTag, verbose_name=_("care tags"), blank=True, related_name="persons")
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = PEOPLE_ROLES

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["division__path", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("people:person_detail", args=[self.pk])

    @classmethod
    def scope_own(cls, user):
        return Q(user=user)

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""

    def set_id_number(self, value: str) -> None:
        """Validate (GB 11643) and store encrypted, indexed and masked; fills birth date and sex."""
        if not value:
            self.id_number_encrypted, self.id_number_index, self.id_number_masked = "", None, ""
            return
        number = idcard.validate(value)
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_number_index = crypto.blind_index(number)
        self.id_number_masked = mask_id_number(number)
        self.birth_date = idcard.birth_date(number)
        self.sex = self.Sex.MALE if idcard.is_male(number) else self.Sex.FEMALE

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def age(self) -> int | None:
        return age_of(self.birth_date)


class Membership(models.Model):
    """A person's membership of a household, with a relation to the head and start/end dates."""

    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household (户主)")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other")

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="memberships")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="memberships")
    relation = models.CharField(pgettext_lazy("to the head of household", "relation"), max_length=12, choices=Relation.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "household__division"
    scope_roles = PEOPLE_ROLES

    class Meta:
        verbose_name = _("household membership")
        verbose_name_plural = _("household memberships")
        ordering = ["household", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(end_date__isnull=True),
                                    name="membership_one_current_household"),
            models.UniqueConstraint(fields=["household"], condition=Q(end_date__isnull=True, relation="head"),
                                    name="membership_one_current_head"),
        ]

    def __str__(self):
        return f"{self.person} · {self.household}"

    @classmethod
    def scope_own(cls, user):
        return Q(person__user=user)
