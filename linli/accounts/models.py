import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    # An account lock (set by an administrator): no sign-in, no API token, whatever the password.
    # Failed sign-ins lock a (username, address) pair instead: see LoginThrottle.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Part of the session hash: rotating it (on a change of roles) ends every session of the user.
    session_stamp = models.CharField(max_length=32, default="", blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret=None):
        return salted_hmac("linli.accounts.User.session_auth_hash", f"{self.password}|{self.session_stamp}",
                           secret=secret, algorithm="sha256").hexdigest()

    def save(self, *args, **kwargs):
        password_changed = self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            # A new password ends the API tokens too (sessions end through the session hash).
            from rest_framework.authtoken.models import Token

            Token.objects.filter(user_id=self.pk).delete()

    def end_sessions(self) -> None:
        """End every session of this user (their next request is signed out) and their API tokens."""
        self.session_stamp = secrets.token_hex(16)
        User.objects.filter(pk=self.pk).update(session_stamp=self.session_stamp)
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=self.pk).delete()


class LoginThrottle(models.Model):
    """Failed sign-ins for one username from one address. Counting per (username, address) and the
    same way for names that exist and names that don't means an outsider can neither find out which
    accounts exist nor lock anyone out but themselves (docs/decisions/0014-login-throttle.md)."""

    # A keyed hash of the lower-cased name as typed: a password typed into the name field is not stored.
    username_key = models.CharField(max_length=64)
    ip = models.CharField(max_length=45)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sign-in throttle")
        verbose_name_plural = _("sign-in throttles")
        constraints = [models.UniqueConstraint(fields=["username_key", "ip"], name="login_throttle_unique")]

    def __str__(self):
        return f"{self.ip} · {self.failures}"


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
        # Separated duties (三员分立, GB/T 22239 level 3): granted at the county, they reveal no records.
        SYSTEM_ADMIN = "system_admin", _("System administrator")
        SECURITY_ADMIN = "security_admin", _("Security administrator")
        AUDITOR = "auditor", _("Security auditor")

    # Who may manage what (used by services and views through core.scoping.has_role_over).
    STAFF = (Kind.COUNTY_ADMIN, Kind.COMMUNITY_STAFF)
    PLACE_MANAGERS = (Kind.COUNTY_ADMIN, Kind.COMMUNITY_STAFF, Kind.SITE_MANAGER)
    PEOPLE_KEEPERS = (Kind.COUNTY_ADMIN, Kind.COMMUNITY_STAFF, Kind.GRID_WORKER)
    DUTIES = (Kind.SYSTEM_ADMIN, Kind.SECURITY_ADMIN, Kind.AUDITOR)
    # Nobody audits themselves: an auditor holds none of these, and none of them is an auditor.
    AUDITED_ADMINS = (Kind.SYSTEM_ADMIN, Kind.SECURITY_ADMIN, Kind.COUNTY_ADMIN)

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

    def clean(self):
        from django.core.exceptions import ValidationError

        others = set(Role.objects.filter(user_id=self.user_id).exclude(pk=self.pk).values_list("kind", flat=True))
        if self.kind == Role.Kind.AUDITOR and (others & set(Role.AUDITED_ADMINS) or self.user.is_superuser):
            raise ValidationError({"kind": _("An auditor cannot also be an administrator.")})
        if self.kind in Role.AUDITED_ADMINS and Role.Kind.AUDITOR in others:
            raise ValidationError({"kind": _("An administrator cannot also be the auditor.")})

    def save(self, *args, **kwargs):
        self.clean()  # the separation holds however a grant is made (pages, admin, demo, shell)
        super().save(*args, **kwargs)
