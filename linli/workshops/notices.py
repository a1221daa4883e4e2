"""The workshops' notification templates, added to the one catalogue (linli.notifications) when the app
loads; their msgids are in this app's catalogue."""

from django.utils.translation import gettext_noop


def register() -> None:
    from linli.notifications.catalogue import TEMPLATES, Template

    TEMPLATES.setdefault("workshops.pay_overdue", Template(
        gettext_noop("Wages unpaid: %(workshop)s %(cycle)s"),
        gettext_noop("The pay run of %(workshop)s for %(cycle)s was due by %(due)s; %(unpaid)s of %(workers)s "
                     "workers have no payment recorded (%(amount)s yuan). Please follow it up with the operator.")))
