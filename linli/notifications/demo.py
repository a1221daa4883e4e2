"""The demo's notifications: every demo login gets messages in its inbox, made by the same functions
the events and the schedule use (overdue cases, overdue care visits, activity and shift reminders, a
resident's and a volunteer's latest order) plus a welcome. Staff and the site manager ask for this
month's activity ledger and the tutor for their service records, as the pages' buttons do (export.ready
when the job has built the file); when the community has an activity date in the next two days, staff
also put the tutor on one of its shifts (the shift reminder).

Nothing is sent here: the deliveries, the ledgers and a `deliveries_send_due` job wait in the queue,
and `linli.demo.generator.run_queued_jobs()` (called by `linli demo` once the build has committed) runs
them through the worker's own code, so the messages reach their channels as jobs."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

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


def _ledgers(users):
    """Staff and the site manager press the activity ledger's .xlsx button, the tutor the button of their
own service records: an export job each."""
    from linli.activities.exports import ledger_title
    from linli.activities.selectors import can_organise_any
    from linli.jobs.exports import export_request
    from linli.volunteers.exports import records_title
    from linli.volunteers.models import Volunteer

    month = timezone.localdate().replace(day=1)
    for name in ("staff", "site"):
        user = users.get(name)
        if user is not None and can_organise_any(user):
            export_request(builder="linli.activities.exports.ledger", by=user, title=str(ledger_title(month)),
                           params={"query": {}})
    tutor = users.get("tutor")
    volunteer = Volunteer.objects.filter(person__user=tutor).first() if tutor else None
    if volunteer is not None:  # the tutor is a teacher volunteer: their own service records (志愿服务记录)
        export_request(builder="linli.volunteers.exports.service_records", by=tutor,
                       title=str(records_title(volunteer)), params={"volunteer": volunteer.pk},
                       division=volunteer.division)


def _tutor_on_a_shift(users):
    """Staff put the tutor on the first shift with room in their community in the next two days, so the
    shift reminder (run below, as the schedule runs it) has something to say."""
    from linli.activities.models import Occurrence
    from linli.volunteers import services as volunteers
    from linli.volunteers.models import Shift, Volunteer

    tutor, staff = users.get("tutor"), users.get("staff")
    volunteer = Volunteer.objects.filter(person__user=tutor).first() if tutor else None
    role = staff.roles.first() if staff else None
    if volunteer is None or role is None:
        return
    now = timezone.now()
    shifts = (Shift.objects.filter(start__gt=now + dt.timedelta(hours=1), start__lte=now + dt.timedelta(hours=47),
                                   occurrence__activity__site__division__path__startswith=role.division.path)
              .order_by("start", "pk"))
    for shift in shifts[:50]:
        try:
            volunteers.shift_signup(shift=shift, volunteer=volunteer, by=staff)
            return
        except ValidationError:
            continue  # full or cancelled: the next one
    # None with room: staff add a sign-in shift to the community's next activity date, as organisers do.
    occurrences = (Occurrence.objects.filter(status=Occurrence.Status.SCHEDULED, start__gt=now + dt.timedelta(hours=1),
                                             start__lte=now + dt.timedelta(hours=47),
                                             activity__site__division__path__startswith=role.division.path)
                   .order_by("start", "pk"))
    for occ in occurrences[:20]:
        try:
            shift = volunteers.shift_create(occurrence=occ, by=staff, role="签到服务", needed=2)
            volunteers.shift_signup(shift=shift, volunteer=volunteer, by=staff)
            return
        except (ValidationError, PermissionDenied):
            continue


def extend(*, rng, logins):
    from linli.activities.services import activity_reminders_send
    from linli.cases.services import cases_overdue_notify
    from linli.grids.services import care_visits_overdue_notify
    from linli.jobs import services as jobs
    from linli.volunteers.services import shift_reminders_send

    users = {u.username: u for u in User.objects.filter(username__in=[login.username for login in logins])}
    for user in users.values():
        services.notify(recipient=user, key="welcome", params={}, dedup_key="welcome")
    _latest_orders(users)
    _ledgers(users)
    _tutor_on_a_shift(users)
    cases_overdue_notify()
    care_visits_overdue_notify()
    activity_reminders_send()
    shift_reminders_send()
    # The deliveries go as jobs: this one (inside the build's transaction) covers every delivery made
    # here; those `notify` hands to the queue after commit find theirs already sent and do nothing.
    jobs.enqueue("linli.notifications.services.deliveries_send_due", key="demo.deliveries")
