"""`{% page_url n %}`: this page's address with `page=n` and every other query parameter kept."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number, param="page"):
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode()
