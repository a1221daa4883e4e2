"""The four-thirty classroom (四点半课堂): programs at a site's classroom, children enrolled by a guardian
with consent and a list of authorised pick-up persons, sessions with a tutor roster, attendance with
check-in and a recorded release, self-study visits, late pick-up alerts and refused-release log.

All data of a child under 14 is sensitive (PIPL Art. 28): the records keep only what the classroom
needs (name, school and grade, allergies, who may collect the child) and are anonymised a set time
after the child leaves (settings.LINLI_CLASSROOM_RETENTION_DAYS, command `classroom_anonymise`).
"""

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.masking import mask_phone
from linli.core.scoping import ScopedQuerySet

# Who runs a classroom: the roles whose grants show its children, rosters and alerts.
STAFF_ROLES = ("county_admin", "community_staff", "site_manager")
# Who may take children in and out at a site (besides the tutors rostered on the session).
DESK_ROLES = (*STAFF_ROLES, "tutor")
DEFAULT_WEEKDAYS = [0, 1, 2, 3, 4]
WEEKDAY_SHORT = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def pickup_token() -> str:
    return secrets.token_urlsafe(16)


def _retention_days() -> int:
    return int(getattr(settings, "LINLI_CLASSROOM_RETENTION_DAYS", 365))


class Program(models.Model):
    """A four-thirty classroom at a site's room: term, weekly timetable, capacity and age range."""

    class Offer(models.TextChoices):
        HOMEWORK = "homework", _("Homework tutoring (作业辅导)")
        READING = "reading", _("Reading (阅读)")
        INTEREST = "interest", _("Interest groups (兴趣培养)")
        CIVILITY = "civility", _("Civilization practice (文明实践)")
        GROWTH = "growth", _("Growth accompaniment (成长陪伴)")

    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=100)
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT,
                             related_name="classroom_programs")
    room = models.ForeignKey("places.Room", verbose_name=_("room"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="classroom_programs")
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    weekdays = models.JSONField(pgettext_lazy("classroom", "weekdays"), default=list, help_text=_("0 = Monday … 6 = Sunday"))
    start_time = models.TimeField(_("from"), default=dt.time(16, 30))
    end_time = models.TimeField(_("to"), default=dt.time(18, 30))
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    min_age = models.PositiveSmallIntegerField(_("youngest age"), default=6, validators=[MaxValueValidator(18)])
    max_age = models.PositiveSmallIntegerField(_("oldest age"), default=13, validators=[MaxValueValidator(18)])
    offers = models.JSONField(_("activities offered"), default=list, blank=True)
    tutors_needed = models.PositiveSmallIntegerField(_("tutors per session"), default=2,
                                                     validators=[MinValueValidator(1)])
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    # Programs are public (a guardian must find one to enrol): seen from above and from below.
    scope_public_upward = True

    class Meta:
        verbose_name = _("classroom program")
        verbose_name_plural = _("classroom programs")
        ordering = ["site__division__path", "site__name", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(term_end__gte=models.F("term_start")), name="program_term_order"),
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="program_time_order"),
            models.CheckConstraint(condition=Q(max_age__gte=models.F("min_age")), name="program_age_order"),
        ]

    def __str__(self):
        return f"{self.site.name} · {self.name}"

    @classmethod
    def scope_own(cls, user):
        # A tutor sees the programs they are rostered on, wherever their role grants are.
        return Q(pk__in=RosterEntry.objects.filter(volunteer__person__user=user).values("session__program_id"))

    def weekday_labels(self) -> list[str]:
        return [str(WEEKDAY_SHORT[d]) for d in self.weekdays if 0 <= d < 7]

    def offer_labels(self) -> list[str]:
        labels = dict(self.Offer.choices)
        return [str(labels[o]) for o in self.offers if o in labels]


class Enrollment(models.Model):
    """A child's place in a program, made by a guardian who consents to the processing of the child's
    data (PIPL Art. 31). Waitlisted when full; the earliest waitlisted child takes a freed place."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Enrolled")
        WAITLISTED = "waitlisted", _("On the waiting list")
        LEFT = "left", _("Left")

    OPEN = (Status.ACTIVE, Status.WAITLISTED)

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT,
                                related_name="enrollments")
    # Null once the record is anonymised: the visits it made still count.
    child = models.ForeignKey("people.Person", verbose_name=_("child"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="classroom_enrollments")
    child_name = models.CharField(_("child's name"), max_length=50)
    guardian = models.ForeignKey("people.Person", verbose_name=_("guardian"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="classroom_guardianships")
    guardian_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("guardian's account"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="classroom_children")
    school = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True,
                                             validators=[MinValueValidator(1), MaxValueValidator(12)])
    medical_notes = models.CharField(_("allergies and medical notes"), max_length=300, blank=True,
                                     help_text=_("Only what the tutors must know to keep the child safe."))
    may_leave_alone = models.BooleanField(_("may leave alone"), default=False)
    self_release_consent_at = models.DateTimeField(_("self-release consent given at"), null=True, blank=True)
    consent_at = models.DateTimeField(_("guardian consent given at"))
    consent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("consent recorded by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    consent_version = models.CharField(_("consent text version"), max_length=20)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    child_created_here = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("place given at"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "program__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["program", "status", "created_at", "pk"]
        indexes = [models.Index(fields=["program", "status"], name="enrollment_program_status"),
                   models.Index(fields=["status", "left_on"], name="enrollment_status_left")]
        constraints = [
            models.UniqueConstraint(fields=["program", "child"], condition=Q(status__in=["active", "waitlisted"]),
                                    name="enrollment_once_per_program"),
            # No self-release without the guardian's consent on record.
            models.CheckConstraint(condition=Q(may_leave_alone=False) | Q(self_release_consent_at__isnull=False),
                                   name="enrollment_self_release_needs_consent"),
        ]

    def __str__(self):
        return f"{self.child_name} · {self.program}"

    @classmethod
    def scope_own(cls, user):
        return Q(guardian_user=user)

    @property
    def retention_ends(self) -> dt.date | None:
        return self.left_on + dt.timedelta(days=_retention_days()) if self.left_on else None

    @property
    def child_age(self) -> int | None:
        return self.child.age if self.child_id and self.child else None


class PickupPerson(models.Model):
    """Someone the guardian authorises to collect the child. Confirmed at the door by the last four
    digits of their phone, or by the QR code (token) the guardian's page shows."""

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        GRANDPARENT = "grandparent", _("Grandparent")
        RELATIVE = "relative", _("Other relative")
        OTHER = "other", _("Other")

    enrollment = models.ForeignKey(Enrollment, verbose_name=_("enrollment"), on_delete=models.CASCADE,
                                   related_name="pickups")
    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    phone = models.CharField(_("phone"), max_length=20)
    is_guardian = models.BooleanField(_("guardian"), default=False)
    token = models.CharField(max_length=40, unique=True, default=pickup_token, editable=False)
    active = models.BooleanField(_("authorised"), default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "enrollment__program__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("authorised pick-up person")
        verbose_name_plural = _("authorised pick-up persons")
        ordering = ["-is_guardian", "pk"]

    def __str__(self):
        return f"{self.name} ({self.get_relation_display()})"

    @classmethod
    def scope_own(cls, user):
        return Q(enrollment__guardian_user=user)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class BackgroundCheck(models.Model):
    """A record check for offences against minors (REFERENCES, "Working with minors"): when, by whom,
    until when it is valid. No tutor is rostered with children without a valid one."""

    class Result(models.TextChoices):
        CLEAR = "clear", _("No record found")
        NOT_CLEAR = "not_clear", _("Record found: may not work with children")

    volunteer = models.ForeignKey("volunteers.Volunteer", verbose_name=_("volunteer"), on_delete=models.PROTECT,
                                  related_name="classroom_checks")
    checked_on = models.DateField(_("checked on"))
    valid_until = models.DateField(_("valid until"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.CLEAR)
    reference = models.CharField(_("certificate or reference number"), max_length=60, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "volunteer__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("background check")
        verbose_name_plural = _("background checks")
        ordering = ["-checked_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(valid_until__gte=models.F("checked_on")),
                                              name="background_check_valid_after_check")]

    def __str__(self):
        return f"{self.volunteer_id} {self.checked_on} {self.result}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)

    def is_valid_on(self, day: dt.date) -> bool:
        return self.result == self.Result.CLEAR and self.checked_on <= day <= self.valid_until


class Session(models.Model):
    """One afternoon of a program."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE,
                                related_name="sessions")
    date = models.DateField(_("date"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    tutors_needed = models.PositiveSmallIntegerField(_("tutors needed"), default=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "program__site__division"
    # Least privilege: a tutor sees the sessions they are on (scope_own), not the community's.
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = pgettext_lazy("classroom", "session")
        verbose_name_plural = pgettext_lazy("classroom", "sessions")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["date"], name="classroom_session_date")]
        constraints = [
            models.UniqueConstraint(fields=["program", "date"], name="session_once_a_day"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="session_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.program} {self.date:%Y-%m-%d}"

    @classmethod
    def scope_own(cls, user):
        return Q(pk__in=RosterEntry.objects.filter(volunteer__person__user=user).values("session_id"))


class RosterEntry(models.Model):
    """A tutor on a session: signed up or assigned; their check-in and check-out make a pending
    volunteer service record (source: classroom session), confirmed by the community like any other."""

    session = models.ForeignKey(Session, verbose_name=pgettext_lazy("classroom", "session"), on_delete=models.CASCADE,
                                related_name="roster")
    volunteer = models.ForeignKey("volunteers.Volunteer", verbose_name=_("tutor"), on_delete=models.PROTECT,
                                  related_name="classroom_roster")
    background_check = models.ForeignKey(BackgroundCheck, verbose_name=_("background check"), on_delete=models.PROTECT,
                              related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    service_record = models.OneToOneField("volunteers.ServiceRecord", verbose_name=_("service record"), null=True,
                                          blank=True, on_delete=models.SET_NULL, related_name="classroom_roster")

    objects = ScopedQuerySet.as_manager()
    scope_field = "session__program__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["session", "pk"]
        constraints = [models.UniqueConstraint(fields=["session", "volunteer"], name="roster_once_per_session")]

    def __str__(self):
        return f"{self.volunteer_id} · {self.session}"

    @classmethod
    def scope_own(cls, user):
        return Q(volunteer__person__user=user)


class Attendance(models.Model):
    """A student-visit (人次): a child checked in at a session, or at a site for self-study on a day
    without one; released only to an authorised person or on the guardian's self-release consent."""

    class Kind(models.TextChoices):
        SESSION = "session", _("Session")
        SELF_STUDY = "self_study", _("Self-study")

    class Method(models.TextChoices):
        PHONE = "phone", _("Last four digits of the phone")
        QR = "qr", _("Pick-up QR code")
        SELF = "self", _("Left alone (guardian's consent)")

    enrollment = models.ForeignKey(Enrollment, verbose_name=_("enrollment"), on_delete=models.PROTECT,
                                   related_name="attendances")
    child = models.ForeignKey("people.Person", verbose_name=_("child"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SESSION)
    session = models.ForeignKey(Session, verbose_name=pgettext_lazy("classroom", "session"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="attendances")
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey("places.Room", verbose_name=_("room"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    date = models.DateField(_("date"))
    closes_at = models.DateTimeField(_("pick-up by"))
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked in by"), null=True,
                                      on_delete=models.SET_NULL, related_name="+")
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("released by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    released_to = models.ForeignKey(PickupPerson, verbose_name=_("collected by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="releases")
    release_method = models.CharField(_("confirmed by"), max_length=6, choices=Method.choices, blank=True)
    note = models.CharField(_("note for the guardian"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["-date", "checked_in_at", "pk"]
        indexes = [models.Index(fields=["site", "date"], name="attendance_site_date"),
                   models.Index(fields=["released_at", "closes_at"], name="attendance_open"),
                   # The API list's order (newest check-in first): a page from the index.
                   models.Index(fields=["-checked_in_at", "id"], name="attendance_checked_in_id")]
        constraints = [
            # The safety rule, also in the database: released means to a listed person, or alone
            # on consent (checked by the service against the enrollment).
            models.CheckConstraint(
                condition=Q(released_at__isnull=True)
                | (Q(released_to__isnull=False) & Q(release_method__in=["phone", "qr"]))
                | (Q(released_to__isnull=True) & Q(release_method="self")),
                name="attendance_release_to_someone"),
            models.CheckConstraint(condition=Q(kind="self_study") | Q(session__isnull=False),
                                   name="attendance_session_kind"),
            models.UniqueConstraint(fields=["enrollment", "session"], condition=Q(session__isnull=False),
                                    name="attendance_once_per_session"),
            models.UniqueConstraint(fields=["enrollment"], condition=Q(released_at__isnull=True),
                                    name="attendance_one_open_visit"),
        ]

    def __str__(self):
        return f"{self.enrollment_id} {self.date:%Y-%m-%d}"

    @classmethod
    def scope_own(cls, user):
        return Q(enrollment__guardian_user=user)

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class ReleaseAttempt(models.Model):
    """A refused release: who tried, for which child, whom they named and why it was refused. Kept
    for staff to follow up (a stranger at the door, a wrong phone, an expired code)."""

    class Reason(models.TextChoices):
        NOT_LISTED = "not_listed", _("Not on the child's list")
        WRONG_PHONE = "wrong_phone", _("Phone digits did not match")
        BAD_CODE = "bad_code", _("Unknown or withdrawn pick-up code")
        NO_CONSENT = "no_consent", _("No self-release consent")
        NOT_PRESENT = "not_present", _("Child not checked in")
        NOT_ALLOWED = "not_allowed", _("User may not release children here")

    attendance = models.ForeignKey(Attendance, verbose_name=_("visit"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="refused_releases")
    enrollment = models.ForeignKey(Enrollment, verbose_name=_("enrollment"), on_delete=models.CASCADE,
                                   related_name="refused_releases")
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    attempted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tried by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    claimed_pickup = models.ForeignKey(PickupPerson, verbose_name=_("person named"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    claimed_name = models.CharField(_("name given"), max_length=50, blank=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("refused release")
        verbose_name_plural = _("refused releases")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.reason}"


class LateAlert(models.Model):
    """A child still checked in after closing time; raised by `classroom_late_pickup_scan`."""

    attendance = models.OneToOneField(Attendance, verbose_name=_("visit"), on_delete=models.PROTECT,
                                      related_name="late_alert")
    site = models.ForeignKey("places.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_field = "site__division"
    scope_roles = DESK_ROLES

    class Meta:
        verbose_name = _("late pick-up alert")
        verbose_name_plural = _("late pick-up alerts")
        ordering = ["-raised_at", "-pk"]

    def __str__(self):
        return f"{self.attendance_id} {self.raised_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A message to a guardian or staff member (check-in, release, late pick-up); stored, then handed
    to the configured backend (console by default)."""

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", _("Checked in")
        RELEASE = "release", _("Collected")
        LATE = "late", _("Late pick-up")
        REFUSED = "refused", _("Refused release")
        PLACE = "place", _("Place offered")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.CASCADE,
                             related_name="classroom_notifications")
    enrollment = models.ForeignKey(Enrollment, verbose_name=_("enrollment"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.CharField(_("message"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "enrollment__program__site__division"
    scope_roles = STAFF_ROLES

    class Meta:
        verbose_name = _("classroom notification")
        verbose_name_plural = _("classroom notifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.subject

    @classmethod
    def scope_own(cls, user):
        return Q(user=user)
