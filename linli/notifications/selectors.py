"""Reads for notifications: the user's inbox, the unread count for the bell, the figures."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from linli.notifications.models import Delivery, Notification


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
