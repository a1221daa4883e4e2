"""`{% page_url n %}`: this page's address with `page=n` and every other query parameter kept.
`{{ page|total }}`: the list's total as shown, "more than 1,000" when the count was capped."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number, param="page"):
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode()


@register.filter
def total(page) -> str:
    paginator = page.paginator
    shown = intcomma(getattr(paginator, "count_floor", paginator.count))
    if getattr(paginator, "count_is_exact", True):
        return shown
    return _("more than %(shown)s") % {"shown": shown}
