"""A case's status badge, written once for every list and page that shows one ({% case_badge c %})."""

from django import template
from django.utils.html import format_html
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
