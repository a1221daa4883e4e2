"""Reads for notifications: the user's inbox, the unread count for the bell, the figures."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from linli.notifications.models import Channel, Delivery, Notification


def inbox(*, user, unread_only: bool = False):
    qs = Notification.objects.visible_to(user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(*, user) -> int:
    """One indexed count (recipient, read_at): cheap enough for every page."""
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()


def notification_for(*, user, pk: int) -> Notification:
    return Notification.objects.visible_to(user).get(pk=pk)


def figures(user=None) -> dict:
    """Deliveries made in the last 30 days: delivered, failed, and delivered per channel (the inbox
    counts once per message). On a page, a user's own messages."""
    since = timezone.now() - dt.timedelta(days=30)
    qs = Delivery.objects.filter(created_at__gte=since)
    if user is not None:
        qs = qs.filter(notification__recipient=user)
    rows = {(r["channel"], r["status"]): r["n"] for r in qs.order_by().values("channel", "status").annotate(n=Count("pk"))}
    delivered = {channel: n for (channel, status), n in rows.items() if status == Delivery.Status.SENT}
    return {
        "delivered_last_30_days": sum(delivered.values()),
        "failed_last_30_days": sum(n for (_c, status), n in rows.items() if status == Delivery.Status.FAILED),
        "by_channel": dict(sorted(delivered.items())),
    }


def may_read_deliveries(user) -> bool:
    """The delivery log is for staff (county admins, community staff) and superusers."""
    from linli.accounts.models import Role
    from linli.core.scoping import role_kinds

    return bool(user.is_authenticated and (user.is_superuser or role_kinds(user) & set(Role.STAFF)))


def deliveries_visible(*, user, status: str = "", channel: str = ""):
    """Deliveries to recipients in the user's scope: a recipient is in scope when their register entry
    (people.Person) or one of their role grants is at a division under the user's staff grants. A county
    admin thus sees the county's; superusers see all."""
    from django.db.models import Q

    from linli.accounts.models import Role
    from linli.core.scoping import scope_division_ids
    from linli.people.models import Person

    qs = Delivery.objects.select_related("notification__recipient")
    if not user.is_superuser:
        ids = scope_division_ids(user, Role.STAFF)
        if not ids:
            return qs.none()
        registered = Person.objects.filter(division_id__in=ids, user__isnull=False).values("user_id")
        granted = Role.objects.filter(division_id__in=ids).values("user_id")
        qs = qs.filter(Q(notification__recipient_id__in=registered) | Q(notification__recipient_id__in=granted))
    if status in Delivery.Status.values:
        qs = qs.filter(status=status)
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    return qs
