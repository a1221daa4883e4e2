"""The one-tap "reached" form of a campaign's household ({% reach_button campaign h %}), written in
Python: the grid worker's home and a campaign's page show one a household, twenty and more a page."""

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def reach_button(context, campaign, h):
    request = context["request"]
    # What is the same on every row of a page is worked out once a request and campaign.
    cache = request.__dict__.setdefault("_reach_button", {})
    if campaign.pk not in cache:
        cache[campaign.pk] = (format_html_join("", '<option value="{}">{}</option>', campaign.method_choices()),
                              get_token(request), request.get_full_path())
    options, token, here = cache[campaign.pk]
    field = f"m-{campaign.pk}-{h.pk}"
    return format_html(
        '<form method="post" action="{}" class="choice-row" data-offline-api="/api/reaches/" data-campaign="{}"'
        ' data-household="{}" data-queued-label="{}">\n'
        '  <input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="submission_key"'
        ' value="{}"><input type="hidden" name="next" value="{}">\n'
        '  <label class="sr-only" for="{}">{}</label>\n'
        '  <select id="{}" name="method">{}</select>\n'
        '  <button class="btn" type="submit">{}</button>\n</form>',
        reverse("grids:reach_create", args=[campaign.pk, h.pk]), campaign.pk, h.pk, _("Saved on this phone"),
        token, getattr(h, "key", ""), here, field, _("How"), field, options, _("Reached"))
