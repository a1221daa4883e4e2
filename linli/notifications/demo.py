"""The demo's notifications: every demo login gets messages in its inbox, made by the same event
functions the schedule runs (overdue cases, overdue care visits) plus a welcome, and the deliveries are
sent (console for SMS with no gateway), so the bell shows messages and the figures are not zero."""

from linli.accounts.models import User
from linli.notifications import services


def extend(*, rng, logins):
    from linli.cases.services import cases_overdue_notify
    from linli.grids.services import care_visits_overdue_notify

    for user in User.objects.filter(username__in=[login.username for login in logins]):
        services.notify(recipient=user, key="welcome", params={}, dedup_key="welcome")
    cases_overdue_notify()
    care_visits_overdue_notify()
    services.deliveries_send_due()
