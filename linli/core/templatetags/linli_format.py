"""Dates, times and counts formatted per language in one place (a builtin: no {% load %} needed).

    {{ d|day }}        12月2日 周三        Wed 2 Dec
    {{ d|daytime }}    12月2日 周三 16:30  Wed 2 Dec 16:30
    {{ d|fulldate }}   2026年12月2日       2 Dec 2026
    {{ d|stamp }}      2026年12月2日 16:30 2 Dec 2026 16:30
    {{ d|monthday }}   12月2日             2 Dec
    {{ d|mdtime }}     12月2日 16:30       2 Dec 16:30
    {{ d|month }}      2026年12月          Dec 2026
    {{ n|count }}      30,669              30,669
    {% colon %}        ：                  ": "
"""

import datetime as dt

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.dateformat import format as dformat
from django.utils.formats import date_format, time_format
from django.utils.translation import get_language

register = template.Library()

ZH_WEEKDAYS = "一二三四五六日"
PATTERNS = {
    "zh": {"day": "n月j日 {wd}", "daytime": "n月j日 {wd} H:i", "fulldate": "Y年n月j日", "stamp": "Y年n月j日 H:i",
           "monthday": "n月j日", "mdtime": "n月j日 H:i", "time": "H:i", "month": "Y年n月"},
    "en": {"day": "D j M", "daytime": "D j M H:i", "fulldate": "j M Y", "stamp": "j M Y H:i",
           "monthday": "j M", "mdtime": "j M H:i", "time": "H:i", "month": "M Y"},
}


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def format_when(value, kind: str) -> str:
    """The one place a date or datetime becomes text for a page."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    zh = _zh()
    pattern = PATTERNS["zh" if zh else "en"][kind]
    if "{wd}" in pattern:
        # Django's 'D' is 星期三 in Chinese; people write 周三.
        pattern = pattern.replace("{wd}", "\\周" + "\\" + ZH_WEEKDAYS[value.weekday()])
    return dformat(value, pattern)


def _filter(kind):
    def f(value):
        return format_when(value, kind)
    f.__name__ = kind
    return f


for _kind in ("day", "daytime", "fulldate", "stamp", "monthday", "mdtime", "month"):
    register.filter(_kind, _filter(_kind), expects_localtime=False)


@register.filter
def count(value):
    """A count with the language's thousands separator (30,669)."""
    if value in (None, ""):
        return value
    return intcomma(value, use_l10n=True)


@register.simple_tag
def colon() -> str:
    """The colon after a label: full width in Chinese, ': ' in English."""
    return "：" if _zh() else ": "


@register.filter(expects_localtime=False)
def span(o) -> str:
    """An occurrence's (or any object's with start and end) date, weekday and hours, as the lists show
    them: 2026年12月3日 周四 16:30–18:00 (the `date` and `time` filters' formats, in one call)."""
    if o is None or not getattr(o, "start", None):
        return ""
    start, end = timezone.localtime(o.start), timezone.localtime(o.end)
    return f"{date_format(start, 'DATE_FORMAT')} {dformat(start, 'D')} {time_format(start, 'H:i')}–{time_format(end, 'H:i')}"
