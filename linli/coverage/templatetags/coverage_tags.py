from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value):
    """A share as a percentage with one decimal ("92.7%"), or a dash when there is nothing to share."""
    if value is None or value == "":
        return "—"
    return f"{number_format(round(float(value) * 100, 1), 1)}%"


@register.filter
def minutes(value):
    return "—" if value is None else number_format(float(value), 1)
