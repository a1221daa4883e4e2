"""The employment-assistance workshop (就业帮扶车间, formerly 扶贫车间): workshops run by an operator in a
community, their jobs and dated rates, workers (persons on the register) under a contract, piece and
day records that are never edited or deleted (a mistake is reversed by a new record), pay runs per
monthly cycle with the wage ledger (工资支付台账) the 2020 wage-payment regulation asks for, quarterly
reviews and subsidy applications that are frozen once submitted. Every threshold is a dated RuleSet.

Whether a worker counts as 脱贫人口 / 监测对象 is a care tag on the person (or a member of their
household) on the register (POOR_TAG_CODES), set by the register keepers, never typed here.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet

# Who runs workshops: the county office and the community staff (a workshop's own managers are
# named on it, see Workshop.managers, and reach only their workshop).
STAFF_ROLES = ("county_admin", "community_staff")
# The care tags that make a worker count (脱贫人口, 监测对象), created by this app's migration 0002.
TUOPIN, JIANCE = "tuopin", "jiance"
POOR_TAG_CODES = (TUOPIN, JIANCE)
ZERO = Decimal("0.00")
HALF_CENT = models.Value(Decimal("0.005"), output_field=models.DecimalField(max_digits=4, decimal_places=3))
MIN_RETENTION_YEARS = 3  # 保障农民工工资支付条例 Art. 15: the wage ledger is kept at least 3 years


def _managed_workshops(user):
    return Workshop.managers.through.objects.filter(user_id=user.pk).values("workshop_id")


class RuleSet(models.Model):
    """The thresholds of a county (or, with no county, the default of every county) from one day to
    another. Two rule sets of the same county never overlap in time (checked by the service with the
    county locked). Defaults follow 桂人社规〔2022〕8号 and the Chongqing rules (docs/decisions/0024)."""

    county = models.ForeignKey("divisions.Division", verbose_name=_("county"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="workshop_rules",
                               help_text=_("Empty: the default for every county without its own rules."))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    min_poor_workers = models.PositiveSmallIntegerField(_("poor workers needed for recognition"), default=5)
    insurance_min_per_worker_month = models.DecimalField(
        _("accident insurance at least (yuan per worker per month)"), max_digits=7, decimal_places=2,
        default=Decimal("15.00"), validators=[MinValueValidator(ZERO)])
    count_after_days = models.PositiveSmallIntegerField(_("a worker counts after (cumulative days)"), default=90)
    count_after_income = models.DecimalField(_("or after earning in a year (yuan)"), max_digits=9, decimal_places=2,
                                             default=Decimal("5000.00"), validators=[MinValueValidator(ZERO)])
    stable_months = models.PositiveSmallIntegerField(_("stable after (months)"), default=3,
                                                     validators=[MinValueValidator(1)])
    review_grace_months = models.PositiveSmallIntegerField(_("grace of a workshop under monitoring (months)"),
                                                           default=6)
    year_start_month = models.PositiveSmallIntegerField(_("monitoring year starts in month"), default=10,
                                                        validators=[MinValueValidator(1), MaxValueValidator(12)])
    pay_due_days = models.PositiveSmallIntegerField(_("wages due (days after the cycle ends)"), default=15)
    duplicate_minutes = models.PositiveSmallIntegerField(_("duplicate piece record interval (minutes)"), default=10)
    sharp_drop_share = models.DecimalField(_("sharp drop of income (share below the previous average)"),
                                           max_digits=4, decimal_places=2, default=Decimal("0.50"),
                                           validators=[MinValueValidator(Decimal("0.01")),
                                                       MaxValueValidator(Decimal("1.00"))])
    drop_lookback_months = models.PositiveSmallIntegerField(_("income compared with the average of (months)"),
                                                            default=3, validators=[MinValueValidator(1)])
    ledger_retention_years = models.PositiveSmallIntegerField(
        _("wage ledger kept (years)"), default=3, validators=[MinValueValidator(MIN_RETENTION_YEARS)])
    min_age = models.PositiveSmallIntegerField(_("minimum working age"), default=16,
                                               validators=[MinValueValidator(16)])
    source = models.CharField(_("source of the rules"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "county"
    scope_public_upward = True

    class Meta:
        verbose_name = _("workshop rules")
        verbose_name_plural = _("workshop rules")
        ordering = ["county", "valid_from"]
        constraints = [models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                              name="workshop_rules_valid_order")]

    def __str__(self):
        return f"{self.county or '*'} {self.valid_from:%Y-%m-%d}–{self.valid_to or ''}"


class WorkshopKind(models.Model):
    """厂房式 (a production line in a building), 居家式 (home-based piece work), … as data."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    home_based = models.BooleanField(_("work is done at home"), default=False)

    class Meta:
        verbose_name = _("kind of workshop")
        verbose_name_plural = _("kinds of workshop")
        ordering = ["code"]

    def __str__(self):
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Workshop(models.Model):
    """A workshop: its operator (an organisation, with its business licence and 统一社会信用代码), its
    site and room, kind, products and hours, the contract with the community, the accident insurance
    policy. `division` is the site's community (the scope)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Running")
        CLOSED = "closed", _("Closed")

    name = models.CharField(pgettext_lazy("of a place or organisation", "name"), max_length=100)
    operator = models.ForeignKey("orgs.Organization", verbose_name=_("operator"), on_delete=models.PROTECT,
                                 related_name="workshops")
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    licence_scan = models.FileField(_("business licence (scan)"), upload_to="workshops/licences/", blank=True)
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="workshops")
    room = models.ForeignKey("places.Room", verbose_name=_("room"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="workshops")
    division = models.ForeignKey("divisions.Division", verbose_name=_("community"), on_delete=models.PROTECT,
                                 related_name="workshops")
    kind = models.ForeignKey(WorkshopKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="workshops")
    products = models.CharField(_("products"), max_length=200)
    hours = models.CharField(_("working hours"), max_length=100, blank=True)
    opened_on = models.DateField(_("opened on"))
    contract_start = models.DateField(_("contract with the community from"), null=True, blank=True)
    contract_end = models.DateField(_("contract with the community until"), null=True, blank=True)
    contract_scan = models.FileField(_("contract with the community (scan)"), upload_to="workshops/contracts/",
                                     blank=True)
    insurer = models.CharField(_("insurer"), max_length=100, blank=True)
    insurance_policy = models.CharField(_("accident insurance policy number"), max_length=60, blank=True)
    insurance_expires = models.DateField(_("insurance expires"), null=True, blank=True)
    insurance_per_worker_month = models.DecimalField(_("insurance premium (yuan per worker per month)"),
                                                     max_digits=7, decimal_places=2, default=ZERO,
                                                     validators=[MinValueValidator(ZERO)])
    contact_name = models.CharField(_("person in charge"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("workshop managers"), blank=True,
                                      related_name="managed_workshops",
                                      help_text=_("Operator's staff who enter and confirm work records here."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("employment-assistance workshop")
        verbose_name_plural = _("employment-assistance workshops")
        ordering = ["division__path", "name"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_own(cls, user):
        return Q(pk__in=_managed_workshops(user))


class Job(models.Model):
    """A job or process of a workshop (工序), paid by the piece or by the day at its dated rates."""

    class PayKind(models.TextChoices):
        PIECE = "piece", _("By the piece")
        DAY = "day", _("By the day")

    workshop = models.ForeignKey(Workshop, verbose_name=_("workshop"), on_delete=models.PROTECT, related_name="jobs")
    name = models.CharField(_("job or process"), max_length=60)
    pay_kind = models.CharField(_("paid"), max_length=10, choices=PayKind.choices)
    unit = models.CharField(_("unit"), max_length=10, default="件", help_text=_("件, 个, 双, kg … (a day for day work)"))
    active = models.BooleanField(_("in use"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("job or process")
        verbose_name_plural = _("jobs and processes")
        ordering = ["workshop", "name"]
        constraints = [models.UniqueConstraint(fields=["workshop", "name"], name="workshop_job_name_once")]

    def __str__(self):
        return self.name

    @classmethod
    def scope_own(cls, user):
        mine = Worker.objects.filter(person__user=user).values("workshop_id")
        return Q(workshop_id__in=_managed_workshops(user)) | Q(workshop_id__in=mine)


class Rate(models.Model):
    """A job's rate (yuan per piece or per day) from one day to another; a job's rates never overlap."""

    job = models.ForeignKey(Job, verbose_name=_("job or process"), on_delete=models.PROTECT, related_name="rates")
    amount = models.DecimalField(_("rate (yuan)"), max_digits=8, decimal_places=3,
                                 validators=[MinValueValidator(Decimal("0.001"))])
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "job__workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["job", "valid_from"]
        constraints = [models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                              name="workshop_rate_valid_order")]

    def __str__(self):
        return f"{self.job} {self.amount} ({self.valid_from:%Y-%m-%d}–{self.valid_to or ''})"

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Worker(models.Model):
    """A person on the register working at a workshop under a labour contract (劳动合同) or a contract
    for work (承揽合同, usual for home-based piece work): its dates and scan, and when work started and
    ended. The same person may work at a workshop again later (a new row)."""

    class ContractKind(models.TextChoices):
        LABOUR = "labour", _("Labour contract (劳动合同)")
        WORK = "work", _("Contract for work (承揽合同)")

    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="workshop_jobs")
    workshop = models.ForeignKey(Workshop, verbose_name=_("workshop"), on_delete=models.PROTECT, related_name="workers")
    contract_kind = models.CharField(_("contract"), max_length=10, choices=ContractKind.choices)
    contract_start = models.DateField(_("contract from"))
    contract_end = models.DateField(_("contract until"), null=True, blank=True)
    contract_scan = models.FileField(_("contract (scan)"), upload_to="workshops/worker-contracts/", blank=True)
    started_on = models.DateField(_("started work on"))
    ended_on = models.DateField(_("stopped work on"), null=True, blank=True)
    end_reason = models.CharField(_("why work stopped"), max_length=200, blank=True)
    bank_account_masked = models.CharField(_("wage card (last digits)"), max_length=30, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("workshop worker")
        verbose_name_plural = _("workshop workers")
        ordering = ["workshop", "person__name", "started_on"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "person"], condition=Q(ended_on__isnull=True),
                                    name="workshop_worker_once_at_a_time"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                                   name="workshop_worker_end_after_start"),
            models.CheckConstraint(condition=Q(contract_end__isnull=True) | Q(contract_end__gte=models.F("contract_start")),
                                   name="workshop_worker_contract_order"),
        ]

    def __str__(self):
        return f"{self.person} · {self.workshop}"

    @classmethod
    def scope_own(cls, user):
        return Q(person__user=user) | Q(workshop_id__in=_managed_workshops(user))

    def under_contract(self, day: dt.date) -> bool:
        return (self.contract_start <= day and (self.contract_end is None or day <= self.contract_end)
                and self.started_on <= day and (self.ended_on is None or day <= self.ended_on))


class ImmutableRecord(models.Model):
    """Written once: saving it again or deleting it is refused (a correction is a new record)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(_("Work records are never changed; reverse it with a new record."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Work records are never deleted; reverse it with a new record."))


class WorkRecord(ImmutableRecord):
    """A day's work of a worker on a job: pieces (piece work) or days (day work, 1 or 0.5), with the
    hours; entered by the workshop (confirmed at once) or by the worker (confirmed later by the
    workshop); or the reversal of one (negative quantity, a reason, pointing at the record it
    reverses). `cycle` is the monthly pay cycle it counts in: its date's month, or — for a reversal
    recorded after that cycle's pay run — the first open cycle (it shows in the next pay run)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("work record", "Confirmed")

    class Source(models.TextChoices):
        WORKSHOP = "workshop", _("Entered by the workshop")
        WORKER = "worker", _("Entered by the worker")
        REVERSAL = "reversal", _("Reversal")

    worker = models.ForeignKey(Worker, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="records")
    job = models.ForeignKey(Job, verbose_name=_("job or process"), on_delete=models.PROTECT, related_name="records")
    date = models.DateField(_("date worked"))
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    cycle = models.DateField(_("pay cycle"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.CharField(_("entered"), max_length=10, choices=Source.choices)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(_("entered at"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("work record", "confirmed by"),
                                     null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(pgettext_lazy("work record", "confirmed at"), null=True, blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "worker__workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("work record")
        verbose_name_plural = _("work records")
        ordering = ["-date", "-entered_at", "-pk"]
        indexes = [models.Index(fields=["worker", "job", "date"], name="workshop_record_day"),
                   models.Index(fields=["worker", "cycle"], name="workshop_record_cycle")]
        constraints = [
            models.CheckConstraint(condition=Q(reverses__isnull=True) | Q(source="reversal"),
                                   name="workshop_record_reversal_kind"),
            models.CheckConstraint(condition=Q(reverses__isnull=False) | ~Q(source="reversal"),
                                   name="workshop_record_reversal_points_back"),
            models.CheckConstraint(condition=Q(reverses__isnull=False) | Q(quantity__gt=0),
                                   name="workshop_record_positive"),
        ]

    def __str__(self):
        return f"{self.worker_id} {self.date:%Y-%m-%d} {self.job_id} {self.quantity}"

    @classmethod
    def scope_own(cls, user):
        return Q(worker__person__user=user) | Q(worker__workshop_id__in=_managed_workshops(user))

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class PayRun(models.Model):
    """The pay run of a workshop's monthly cycle: computed once from the confirmed records of the
    cycle, it closes the cycle (no record is added to it any more). Its wage ledger rows are paid one
    by one, each with a bank transfer reference or the worker's signature; unpaid after `due_on` the
    community staff are told (flagged_at)."""

    workshop = models.ForeignKey(Workshop, verbose_name=_("workshop"), on_delete=models.PROTECT, related_name="pay_runs")
    cycle = models.DateField(_("pay cycle"), help_text=_("The first day of the month paid."))
    cycle_end = models.DateField(_("cycle ends"))
    due_on = models.DateField(_("wages due by"))
    workers = models.PositiveIntegerField(_("workers paid"), default=0)
    gross = models.DecimalField(_("gross pay"), max_digits=12, decimal_places=2, default=ZERO)
    deductions = models.DecimalField(_("deductions"), max_digits=12, decimal_places=2, default=ZERO)
    net = models.DecimalField(_("net pay"), max_digits=12, decimal_places=2, default=ZERO)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("computed by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    paid_at = models.DateTimeField(_("fully paid at"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("flagged unpaid at"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("pay run")
        verbose_name_plural = _("pay runs")
        ordering = ["-cycle", "workshop"]
        constraints = [models.UniqueConstraint(fields=["workshop", "cycle"], name="workshop_pay_run_once")]

    def __str__(self):
        return f"{self.workshop} {self.cycle:%Y-%m}"

    @classmethod
    def scope_own(cls, user):
        return Q(workshop_id__in=_managed_workshops(user))

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class LedgerRow(models.Model):
    """A row of the wage ledger (工资支付台账): for one worker and cycle, the employer, cycle, pay date,
    name, ID number (encrypted, shown masked), contact, days/hours/pieces, each gross item, the
    deductions, net pay, and the bank transfer reference or the worker's signature. The figures are
    written by the pay run and never changed; only the payment is recorded later, once. Past the
    retention period the personal fields are anonymised (the figures stay)."""

    pay_run = models.ForeignKey(PayRun, verbose_name=_("pay run"), on_delete=models.PROTECT, related_name="rows")
    worker = models.ForeignKey(Worker, verbose_name=_("worker"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="ledger_rows")
    employer = models.CharField(_("employer"), max_length=150)
    cycle = models.DateField(_("pay cycle"))
    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=50)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_masked = models.CharField(_("ID-card number"), max_length=18, blank=True)
    phone = models.CharField(_("contact"), max_length=20, blank=True)
    days = models.DecimalField(_("days"), max_digits=6, decimal_places=2, default=ZERO)
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2, default=ZERO)
    pieces = models.DecimalField(_("pieces"), max_digits=10, decimal_places=2, default=ZERO)
    items = models.JSONField(_("gross pay items"), default=list)
    gross = models.DecimalField(_("gross pay"), max_digits=10, decimal_places=2)
    deduction_items = models.JSONField(_("deduction items"), default=list)
    deductions = models.DecimalField(_("deductions"), max_digits=10, decimal_places=2, default=ZERO)
    net = models.DecimalField(_("net pay"), max_digits=10, decimal_places=2)
    pay_date = models.DateField(_("pay date"), null=True, blank=True)
    transfer_ref = models.CharField(_("bank transfer reference"), max_length=60, blank=True)
    signature = models.FileField(_("worker's signature"), upload_to="workshops/signatures/", blank=True)
    paid_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("payment recorded by"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")
    paid_recorded_at = models.DateTimeField(_("payment recorded at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "pay_run__workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("wage ledger row")
        verbose_name_plural = _("wage ledger")
        ordering = ["-cycle", "pay_run", "name", "pk"]
        indexes = [models.Index(fields=["cycle"], name="workshop_ledger_cycle"),
                   models.Index(fields=["pay_date"], name="workshop_ledger_pay_date")]
        constraints = [
            models.UniqueConstraint(fields=["pay_run", "worker"], name="workshop_ledger_once_per_run"),
            # Within half a cent: SQLite compares decimals as floats.
            models.CheckConstraint(condition=Q(net__gt=models.F("gross") - models.F("deductions") - HALF_CENT)
                                   & Q(net__lt=models.F("gross") - models.F("deductions") + HALF_CENT),
                                   name="workshop_ledger_net_is_rest"),
            models.CheckConstraint(condition=Q(pay_date__isnull=True) | ~Q(transfer_ref="") | ~Q(signature=""),
                                   name="workshop_ledger_paid_with_proof"),
        ]

    def __str__(self):
        return f"{self.cycle:%Y-%m} {self.name}"

    @classmethod
    def scope_own(cls, user):
        return Q(worker__person__user=user) | Q(pay_run__workshop_id__in=_managed_workshops(user))

    @property
    def is_paid(self) -> bool:
        return self.pay_date is not None


class Review(models.Model):
    """A quarterly review of a workshop: its recognition figures at the end of the quarter and the
    state it puts the workshop in — running normally (正常运行), under monitoring with a grace period
    (监测待处置), or cleared out (清理) when the grace ran out without the criteria being met."""

    class State(models.TextChoices):
        NORMAL = "normal", _("Running normally (正常运行)")
        MONITOR = "monitor", _("Under monitoring (监测待处置)")
        CLEARED = "cleared", _("Cleared out (清理)")

    workshop = models.ForeignKey(Workshop, verbose_name=_("workshop"), on_delete=models.PROTECT, related_name="reviews")
    quarter = models.DateField(_("quarter"), help_text=_("The first day of the quarter reviewed."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    grace_until = models.DateField(_("grace until"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict)
    shortfalls = models.JSONField(_("criteria not met"), default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"))
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("quarterly review")
        verbose_name_plural = _("quarterly reviews")
        ordering = ["-quarter", "workshop"]
        constraints = [models.UniqueConstraint(fields=["workshop", "quarter"], name="workshop_review_once")]

    def __str__(self):
        return f"{self.workshop} {self.quarter:%Y-%m} {self.state}"


class SubsidyApplication(models.Model):
    """An application for a subsidy with its evidence — the roster of poor workers
    (《吸纳脱贫人口就业花名册》), the wage ledger extract and the contracts — generated from records.
    Submitted, it is frozen: the evidence stays as it was (model guard), and a new application is made
    for a correction."""

    class Kind(models.TextChoices):
        CONSTRUCTION = "construction", _("Construction grant (建设补助)")
        JOB_AWARD = "job_award", _("Job award (吸纳就业奖补)")
        STABILISATION = "stabilisation", _("Per-worker stabilisation subsidy (稳岗补贴)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    workshop = models.ForeignKey(Workshop, verbose_name=_("workshop"), on_delete=models.PROTECT,
                                 related_name="subsidy_applications")
    kind = models.CharField(_("subsidy"), max_length=20, choices=Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    amount = models.DecimalField(_("amount applied for (yuan)"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(ZERO)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    workers = models.ManyToManyField(Worker, verbose_name=_("workers claimed for"), blank=True,
                                     related_name="subsidy_applications")
    figures = models.JSONField(_("figures"), default=dict)
    roster = models.JSONField(_("roster of poor workers"), default=list)
    ledger = models.JSONField(_("wage ledger extract"), default=list)
    contracts = models.JSONField(_("contracts"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "workshop__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("subsidy application")
        verbose_name_plural = _("subsidy applications")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                              name="workshop_subsidy_period_order")]

    def __str__(self):
        return f"{self.workshop} {self.kind} {self.period_start:%Y-%m}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.SUBMITTED:
                raise ValidationError(_("A submitted subsidy application is frozen; make a new one."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == self.Status.SUBMITTED:
            raise ValidationError(_("A submitted subsidy application is frozen; make a new one."))
        return super().delete(*args, **kwargs)
