from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username


class Role(models.Model):
    """A role granted at a division. A grant at X covers X's subtree and nothing else."""

    class Kind(models.TextChoices):
        COUNTY_ADMIN = "county_admin", _("County administrator")
        COMMUNITY_STAFF = "community_staff", _("Community staff")
        SITE_MANAGER = "site_manager", _("Site manager")
        GRID_WORKER = "grid_worker", _("Grid worker")
        TUTOR = "tutor", _("Classroom tutor")
        VOLUNTEER = "volunteer", _("Volunteer")
        RESIDENT = "resident", _("Resident")

    # Who may manage what (used by services and views through core.scoping.has_role_over).
    STAFF = (Kind.COUNTY_ADMIN, Kind.COMMUNITY_STAFF)
    PLACE_MANAGERS = (Kind.COUNTY_ADMIN, Kind.COMMUNITY_STAFF, Kind.SITE_MANAGER)
    PEOPLE_KEEPERS = (Kind.COUNTY_ADMIN, Kind.COMMUNITY_STAFF, Kind.GRID_WORKER)

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    division = models.ForeignKey("divisions.Division", verbose_name=_("division"),
                                 on_delete=models.PROTECT, related_name="roles")
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(User, verbose_name=_("granted by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "division"], name="role_unique_grant")]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} @ {self.division}"
