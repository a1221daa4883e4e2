"""A case's status badge, written once for every list and page that shows one ({% case_badge c %}), and
the inbox's team choice for dispatching a new order ({% team_options c teams %})."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

BADGE_CLASS = {"closed": "badge badge-grey", "done": "badge badge-ok", "escalated": "badge badge-warn"}


@register.simple_tag
def case_badge(c):
    """The status (with the resolution of a case closed otherwise than resolved), then 'Overdue' when
    it is. In Python rather than an include: the inbox shows one a row."""
    label = c.get_status_display()
    if c.status == "closed" and c.resolution and c.resolution != "resolved":
        label = f"{label} · {c.get_resolution_display()}"
    html = format_html('<span class="{}">{}</span>', BADGE_CLASS.get(c.status, "badge"), label)
    if c.is_overdue:
        html += format_html(' <span class="badge badge-warn" data-testid="overdue">{}</span>', _("Overdue"))
    return html


@register.simple_tag(takes_context=True)
def team_options(context, c, teams):
    """Every team as an <option>, the case's service's default team chosen: written once per default
    team a request, not once per row (the inbox shows up to twenty new orders)."""
    default = c.service.default_team_id if c.service_id else None
    cache = context["request"].__dict__.setdefault("_team_options", {})
    if default not in cache:
        cache[default] = format_html_join("", '<option value="{}"{}>{}</option>', (
            (t.pk, mark_safe(" selected") if t.pk == default else "", str(t)) for t in teams))
    return cache[default]
