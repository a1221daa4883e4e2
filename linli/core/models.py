from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    """Who looked at or exported whose personal data, when and from where (PIPL Art. 51; kept at
    least 6 months per the Network Security Law Art. 21). Written only by `core.audit`."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        LIST = "list", _("Listed")
        SEARCH = "search", _("Searched")
        EXPORT = "export", _("Exported")
        REVEAL = "reveal", _("Revealed in full")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=60)
    object_ids = models.JSONField(_("records"), default=list)
    fields = models.JSONField(_("fields"), default=list)
    query = models.CharField(_("search terms"), max_length=200, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("personal-data access record")
        verbose_name_plural = _("personal-data access records")
        ordering = ["-at"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.model}"


class Rollup(models.Model):
    """One section's figures for one scope (a set of division subtrees, "*" = everything), as computed
    at `computed_at` by `core.rollups`; pages read these instead of every record."""

    key = models.CharField(max_length=40)  # sha1 of `scope`: scopes can be long lists of paths
    scope = models.TextField()
    section = models.CharField(max_length=60)
    data = models.JSONField()
    computed_at = models.DateTimeField()
    # The tables the section's queries read when it was computed: a mark on one of them (in a
    # division of this scope) is what makes `refresh_changed` recompute it.
    tables = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "section"], name="rollup_once_per_scope")]
        default_permissions = ()

    def __str__(self):
        return f"{self.scope} · {self.section} @ {self.computed_at:%Y-%m-%d %H:%M}"


class RollupMark(models.Model):
    """A division whose records changed since the last refresh (`core.rollups.mark_changed`): the
    scheduled refresh recomputes only the scopes that cover a marked division. Written in the writer's
    own transaction (a rolled-back write leaves no mark) and insert-only, so concurrent writers never
    wait on one another's marks."""

    path = models.CharField(max_length=255)
    table = models.CharField(max_length=100)
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.table} {self.path} @ {self.marked_at:%Y-%m-%d %H:%M:%S}"
