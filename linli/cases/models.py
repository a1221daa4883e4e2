"""Residents' voice (事有地说、难有人帮、怨有人解): service orders, concerns, disputes under people's
mediation and night-talk opinions, as one Case family with a recorded status history.

Deleting a community takes its cases with it: only the demo wipe deletes divisions (a real community is
protected by its sites and people).
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.masking import mask_phone
from linli.core.scoping import ScopedQuerySet

STAFF_ROLES = ("county_admin", "community_staff")


def new_token() -> str:
    return secrets.token_hex(12)


def new_api_key() -> str:
    return secrets.token_hex(20)


class Kind(models.TextChoices):
    ORDER = "order", _("Service order (点单)")
    CONCERN = "concern", _("Concern (诉求)")
    DISPUTE = "dispute", _("Dispute (矛盾纠纷)")
    OPINION = "opinion", _("Night-talk opinion (夜话意见)")


class ServiceItem(models.Model):
    """An item of the service catalogue (the six deliveries and the county's own items) or a category of
    concern or dispute. Items marked `open311` are the GeoReport v2 services."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    kind = models.CharField(_("case kind"), max_length=10, choices=Kind.choices)
    group = models.CharField(pgettext_lazy("cases", "group"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True, help_text=_("Comma-separated."))
    delivery = models.ForeignKey("activities.Delivery", verbose_name=_("six deliveries"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    default_team = models.ForeignKey("volunteers.Team", verbose_name=_("usual team"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    # GeoReport v2 attribute definitions: [{code, datatype, required, description, order, values:[{key, name}]}]
    attributes = models.JSONField(_("extra questions"), default=list, blank=True)
    open311 = models.BooleanField(_("offered through Open311"), default=False)
    active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["kind", "order", "code"]

    def __str__(self):
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class NightTalk(models.Model):
    """A city night talk (城市夜话) as held: when, where, its minutes. Each resident opinion raised there
    becomes an opinion case linked here, so the next night talk can show "you said, we did"."""

    division = models.ForeignKey("divisions.Division", verbose_name=_("community"), on_delete=models.CASCADE,
                                 related_name="night_talks")
    occurrence = models.OneToOneField("activities.Occurrence", verbose_name=_("activity date"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="night_talk")
    title = models.CharField(_("title"), max_length=120)
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    attendees = models.PositiveIntegerField(_("attendees"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True, max_length=10000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("night talk")
        verbose_name_plural = _("night talks")
        ordering = ["-held_at"]

    def __str__(self):
        return f"{self.title} {timezone.localtime(self.held_at):%Y-%m-%d}"


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("Received")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done, awaiting rating")
        ESCALATED = "escalated", _("Escalated to the county")
        CLOSED = "closed", _("Closed")

    OPEN = (Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS, Status.DONE, Status.ESCALATED)
    # Still waiting for the community's work (a done order only waits for the resident's rating).
    WORKING = (Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS, Status.ESCALATED)

    class Priority(models.TextChoices):
        URGENT = "urgent", _("Urgent")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low")

    class Resolution(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        UNRESOLVED = "unresolved", _("Not resolved (referred)")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DUPLICATE = "duplicate", _("Duplicate")

    class Channel(models.TextChoices):
        WEB = "web", _("Phone or web page")
        STAFF = "staff", _("Taken by staff (phone, visit)")
        NIGHT_TALK = "night_talk", _("City night talk")
        OPEN311 = "open311", _("Open311 client")
        VISIT = "visit", _("Grid worker's visit")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    service = models.ForeignKey(ServiceItem, verbose_name=_("service or category"), on_delete=models.PROTECT,
                                related_name="cases")
    division = models.ForeignKey("divisions.Division", verbose_name=_("community"), on_delete=models.CASCADE,
                                 related_name="cases")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    resolution = models.CharField(_("resolution"), max_length=12, choices=Resolution.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.WEB)
    # The grid worker's visit where the need was found (entered once, on the visit).
    visit = models.OneToOneField("grids.Visit", verbose_name=_("visit"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="case")
    # Who asked: the account that filed it, and the resident it is for (staff file for residents by phone).
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="cases_filed")
    person = models.ForeignKey("people.Person", verbose_name=_("resident"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="cases")
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    attributes = models.JSONField(_("answers to extra questions"), default=dict, blank=True)
    media_url = models.URLField(_("media URL"), blank=True, max_length=500)
    # Handling: a staff member in charge (handler or mediator) and, for orders, whom it is dispatched to.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="cases_assigned")
    team = models.ForeignKey("volunteers.Team", verbose_name=_("volunteer team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="cases")
    volunteer = models.ForeignKey("volunteers.Volunteer", verbose_name=_("volunteer"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="cases")
    organization = models.ForeignKey("orgs.Organization", verbose_name=pgettext_lazy("dispatch", "organization"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="cases")
    night_talk = models.ForeignKey(NightTalk, verbose_name=_("night talk"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="opinions")
    duplicate_of = models.ForeignKey("self", verbose_name=_("duplicate of"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="duplicates")
    api_key = models.ForeignKey("cases.ApiKey", verbose_name=_("API key"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="cases", editable=False)
    token = models.CharField(max_length=24, unique=True, default=new_token, editable=False)
    # Outcome
    public_answer = models.TextField(_("answer to the resident"), blank=True, max_length=4000)
    report = models.TextField(_("work report"), blank=True, max_length=2000)
    hours = models.DecimalField(_("service hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    service_record = models.ForeignKey("volunteers.ServiceRecord", verbose_name=_("service record"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    # People's mediation (disputes)
    agreement_terms = models.TextField(_("agreement terms"), blank=True, max_length=4000)
    performance = models.CharField(_("how, where and when it is carried out"), max_length=500, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    followed_up_at = models.DateTimeField(_("follow-up visit on"), null=True, blank=True)
    follow_up_note = models.CharField(_("follow-up visit"), max_length=500, blank=True)
    # Times (each also recorded in the history)
    created_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    due_at = models.DateTimeField(_("due by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["division", "status"], name="case_division_status"),
                   models.Index(fields=["status", "due_at"], name="case_status_due"),
                   # The inbox (open cases of a community, newest first): two years of closed cases
                   # are most of a community's rows, and `status <> 'closed'` cannot use the index above.
                   models.Index(fields=["division", "-created_at"], name="case_open_by_division",
                                condition=~Q(status="closed"))]
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="case_rating_1_5"),
            models.CheckConstraint(condition=~Q(status="closed") | ~Q(resolution=""),
                                   name="case_closed_has_resolution"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.pk])

    @classmethod
    def scope_own(cls, user):
        """A resident's own cases, and orders of the user as a volunteer: given to them, or offered to
        one of their teams in their community while nobody has taken them (least privilege: not the
        team's orders that another volunteer took or closed)."""
        from linli.people.models import Person
        from linli.volunteers.models import Team, Volunteer

        # The few ids first (a person, a volunteer, their teams): conditions on the case's own indexed
        # columns, which PostgreSQL combines with a bitmap OR instead of scanning every case for a join.
        persons = list(Person.objects.filter(user=user).values_list("pk", flat=True)) if user.pk else []
        vols = list(Volunteer.objects.filter(person_id__in=persons, active=True).values_list("pk", "division_id"))
        mine = Q(reporter=user) | Q(person_id__in=persons)
        if not vols:
            return mine
        teams = list(Team.objects.filter(volunteers__in=[v for v, _ in vols]).values_list("pk", flat=True))
        # Least privilege: a team's order only while nobody has taken it, not one another volunteer took.
        offered = Q(volunteer_id__in=[v for v, _ in vols]) | Q(
            volunteer__isnull=True, team_id__in=teams, division_id__in=[d for _, d in vols],
            status__in=(cls.Status.DISPATCHED, cls.Status.IN_PROGRESS))
        return mine | (Q(kind=Kind.ORDER) & offered)

    @property
    def number(self) -> str:
        return self.number_for(self.created_at, self.pk)

    @staticmethod
    def number_for(created_at, pk) -> str:
        """The case number from its row's values (the API's lean list has no instance)."""
        return f"{timezone.localtime(created_at):%Y}-{pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.overdue(self.status, self.due_at)

    @classmethod
    def overdue(cls, status, due_at, now=None) -> bool:
        return status in cls.WORKING and due_at is not None and due_at < (now or timezone.now())

    @property
    def target_label(self) -> str:
        parts = [str(x) for x in (self.volunteer and self.volunteer.person.name, self.team, self.organization) if x]
        return " · ".join(parts)


class CaseEvent(models.Model):
    """One line of a case's history: a transition (from → to), an internal note, or a public reply."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(pgettext_lazy("status", "from"), max_length=12, blank=True)
    to_status = models.CharField(pgettext_lazy("status", "to"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=4000)
    # Public lines are shown to the resident, on the board and in Open311 updates; the rest stay inside.
    public = models.BooleanField(_("shown to the resident"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "case__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("case history line")
        verbose_name_plural = _("case history")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "action"], name="case_event_action")]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"


def attachment_path(instance, filename):
    return f"cases/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-60:]}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Party(models.Model):
    """A party to a dispute (当事人)."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")
        OTHER = "other", _("Other party")

    case = models.ForeignKey(Case, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(pgettext_lazy("dispute party", "role"), max_length=10, choices=Role.choices)
    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    person = models.ForeignKey("people.Person", verbose_name=_("resident"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["case", "role", "pk"]

    def __str__(self):
        return self.name

    @property
    def phone_masked(self) -> str:
        """The case page shows 138****1234: the full number stays in the record for the mediator."""
        return mask_phone(self.phone)


class MediationSession(models.Model):
    """A mediation session with its record (调解笔录)."""

    case = models.ForeignKey(Case, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("mediator"), null=True,
                                 on_delete=models.SET_NULL, related_name="+")
    record = models.TextField(_("record"), max_length=8000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_at", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.held_at:%Y-%m-%d}"


class ApiKey(models.Model):
    """A key an Open311 client posts with; requests it files must lie under its division."""

    key = models.CharField(_("key"), max_length=40, unique=True, default=new_api_key, editable=False)
    name = models.CharField(_("client name"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    division = models.ForeignKey("divisions.Division", verbose_name=_("division"), on_delete=models.CASCADE,
                                 related_name="+")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self):
        return self.name
