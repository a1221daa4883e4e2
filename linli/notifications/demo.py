"""The demo's notifications: every demo login gets messages in its inbox, made by the same functions
the events and the schedule use (overdue cases, overdue care visits, activity and shift reminders, a
resident's and a volunteer's latest order) plus a welcome, and the deliveries are sent (console for
SMS with no gateway), so the bell shows messages for each role and the figures are not zero."""

from linli.accounts.models import User
from linli.notifications import services


def _latest_orders(users):
    from linli.cases.models import Case, Kind

    resident, volunteer = users.get("resident"), users.get("volunteer")
    orders = Case.objects.filter(kind=Kind.ORDER).select_related("service", "division").order_by("-created_at")
    if resident is not None:
        case = orders.filter(reporter=resident).first() or orders.filter(person__user=resident).first()
        if case is not None:
            services.notify(recipient=resident, key="case.dispatched", obj=case, dedup_key=f"demo.case:{case.pk}",
                            params={"number": case.number, "service": case.service.name,
                                    "to": case.team or case.volunteer or case.division.name})
    if volunteer is not None:
        case = orders.filter(volunteer__person__user=volunteer).first()
        if case is not None:
            services.notify(recipient=volunteer, key="case.offered", obj=case, dedup_key=f"demo.case:{case.pk}",
                            params={"number": case.number, "service": case.service.name,
                                    "community": case.division.name})


def extend(*, rng, logins):
    from linli.activities.services import activity_reminders_send
    from linli.cases.services import cases_overdue_notify
    from linli.grids.services import care_visits_overdue_notify
    from linli.volunteers.services import shift_reminders_send

    users = {u.username: u for u in User.objects.filter(username__in=[login.username for login in logins])}
    for user in users.values():
        services.notify(recipient=user, key="welcome", params={}, dedup_key="welcome")
    _latest_orders(users)
    cases_overdue_notify()
    care_visits_overdue_notify()
    activity_reminders_send()
    shift_reminders_send()
    services.deliveries_send_due()
