from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.scoping import ScopedQuerySet


class Division(models.Model):
    """An administrative division. `path` is a materialised path of primary keys ("/1/4/17/"), so
    everything under X is one indexed prefix query: path LIKE 'X.path%'."""

    class Level(models.TextChoices):
        COUNTY = "county", _("County")
        SUBDISTRICT = "subdistrict", _("Subdistrict / town")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")

    LEVEL_ORDER = [Level.COUNTY, Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID]

    name = models.CharField(pgettext_lazy("of a place or organisation", "name"), max_length=100)
    code = models.CharField(_("division code"), max_length=20, unique=True,
                            help_text=_("National division code, e.g. 360724 for Shangyou County."))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    # Optional boundary as a GeoJSON geometry (WGS-84), drawn on the offline map.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = ""  # a division is scoped by its own path

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="division_path_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        old, path = self.path, f"{self.parent.path if self.parent_id else '/'}{self.pk}/"
        if path != old:
            self.path = path
            type(self).objects.filter(pk=self.pk).update(path=path)
            if old:  # moved: carry the subtree along
                for child in Division.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    Division.objects.filter(pk=child.pk).update(path=path + child.path[len(old):])

    def descendants(self, include_self=True):
        qs = Division.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def is_within(self, other: "Division") -> bool:
        return self.path.startswith(other.path)

    def community(self):
        """The community this division belongs to (itself, or its grid's parent)."""
        if self.level == self.Level.COMMUNITY:
            return self
        if self.level == self.Level.GRID:
            return self.parent
        return None
