"""Reads for the separated duties: who holds which duty, the accounts list, and the audit trail as
the auditor sees it (never their own actions)."""

from __future__ import annotations

import datetime as dt

from auditlog.models import LogEntry
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.core.models import AccessLog
from linli.core.scoping import role_kinds


def is_system_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and Role.Kind.SYSTEM_ADMIN in role_kinds(user)


def is_security_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or Role.Kind.SECURITY_ADMIN in role_kinds(user))


def is_auditor(user) -> bool:
    """Only the auditor role reads the audit trail: not the superuser, not the other administrators."""
    return getattr(user, "is_authenticated", False) and not user.is_superuser and \
        Role.Kind.AUDITOR in role_kinds(user)


def accounts(*, search: str = ""):
    qs = User.objects.prefetch_related("roles").order_by("username")
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    return qs


def grants(*, search: str = ""):
    qs = Role.objects.select_related("user", "division", "granted_by").order_by("user__username", "kind")
    if search:
        qs = qs.filter(Q(user__username__icontains=search) | Q(user__display_name__icontains=search))
    return qs


def _day_range(date_from: dt.date | None, date_to: dt.date | None):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if date_to else None
    return start, end


def _ids_contain(field: str, pk: int) -> Q:
    # JSON `contains` is not available on SQLite: match the id in the list's text form instead.
    return Q(**{f"{field}_text__regex": rf"(^|[\[ ,]){pk}([\],]|$)"})


def access_entries(*, auditor, username: str = "", person: int | None = None, action: str = "",
                   date_from: dt.date | None = None, date_to: dt.date | None = None):
    """Personal-data access records, newest first, without the auditor's own."""
    qs = AccessLog.objects.select_related("user").exclude(user=auditor).order_by("-at", "-pk")
    if username:
        qs = qs.filter(Q(user__username__icontains=username) | Q(user__display_name__icontains=username))
    if action:
        qs = qs.filter(action=action)
    if person is not None:
        qs = qs.annotate(object_ids_text=Cast("object_ids", TextField())).filter(
            _ids_contain("object_ids", person), model="people.Person")
    start, end = _day_range(date_from, date_to)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    return qs


def change_entries(*, auditor, username: str = "", person: int | None = None, action: str = "",
                   date_from: dt.date | None = None, date_to: dt.date | None = None):
    """Changes recorded by django-auditlog, newest first, without the auditor's own."""
    qs = LogEntry.objects.select_related("actor", "content_type").exclude(actor=auditor).order_by(
        "-timestamp", "-pk")
    if username:
        qs = qs.filter(Q(actor__username__icontains=username) | Q(actor__display_name__icontains=username))
    if action != "" and action is not None and str(action).isdigit():
        qs = qs.filter(action=int(action))
    if person is not None:
        qs = qs.filter(content_type__app_label="people", content_type__model="person", object_pk=str(person))
    start, end = _day_range(date_from, date_to)
    if start:
        qs = qs.filter(timestamp__gte=start)
    if end:
        qs = qs.filter(timestamp__lt=end)
    return qs
