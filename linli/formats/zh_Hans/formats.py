"""Chinese formats as Chinese users write them (Django's zh_Hans has no thousands separator and a
zero-padded month-day): 30,669 户, 12月2日."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

MONTH_DAY_FORMAT = "n月j日"
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
