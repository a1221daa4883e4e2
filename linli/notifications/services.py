"""Writes for notifications: create a message and its deliveries, send what is due, mark read.

THE RULES
- A notification is created in the caller's transaction, after the state change it reports: if the
  change rolls back, so does the message. Deliveries leave only after commit (`_dispatch`).
- The inbox is always on; SMS, WeChat and email go out only if the user allows them and can be reached
  (phone from the register, email on the account). No channel left: the inbox alone.
- Quiet hours hold SMS, WeChat and email back (deferred, not dropped) unless it is a safety alert.
- One `dedup_key` per recipient: the second notify with the same key changes nothing.
- A failing channel is retried with exponential backoff; after the limit it is marked failed and the
  notification falls back to the inbox (recorded on it). Nothing raises into the caller.
"""

import datetime as dt
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from linli.notifications import catalogue, channels
from linli.notifications.models import LOUD, Channel, Delivery, Notification, Preference

log = logging.getLogger("linli.notifications")
# A claim older than this belongs to a worker that died mid-send: the delivery is tried again.
STALE_SENDING = dt.timedelta(minutes=10)


def preference_for(user) -> Preference:
    """The user's preference, or the defaults (unsaved) if they never set one."""
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return Preference(user=user, language=settings.LANGUAGE_CODE)


@transaction.atomic
def preference_update(*, user, **fields) -> Preference:
    pref, _ = Preference.objects.get_or_create(user=user, defaults={"language": settings.LANGUAGE_CODE})
    for name, value in fields.items():
        setattr(pref, name, value)
    pref.save()
    return pref


def _quiet_until(pref: Preference, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours if `now` falls in them, else None."""
    local = timezone.localtime(now)
    if not pref.is_quiet(local.time().replace(tzinfo=None)):
        return None
    end = local.replace(hour=pref.quiet_end.hour, minute=pref.quiet_end.minute, second=0, microsecond=0)
    return end if end > local else end + dt.timedelta(days=1)


def _link(obj) -> str:
    if isinstance(obj, str):
        return obj
    try:
        return obj.get_absolute_url() if obj is not None and hasattr(obj, "get_absolute_url") else ""
    except Exception:  # noqa: BLE001 - a link is a convenience; the message goes without it
        return ""


def notify(*, recipient, key: str, params: dict | None = None, safety: bool = False,
           dedup_key: str | None = None, obj=None) -> Notification | None:
    """Tell one user about an event: rendered in their language, kept in their inbox, delivered on the
    channels they allow. `obj` is what the message is about (its get_absolute_url is the link) or a
    path. Returns the notification (the existing one for a repeated `dedup_key`), or
    None when there is nobody to tell."""
    if recipient is None or not getattr(recipient, "pk", None) or not recipient.is_active:
        return None
    params = {k: ("" if v is None else v if isinstance(v, (int, float)) else str(v)) for k, v in (params or {}).items()}
    if dedup_key:
        existing = Notification.objects.filter(recipient=recipient, dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    pref = preference_for(recipient)
    now = timezone.now()
    try:
        subject, body, language, note = catalogue.render(key, params, pref.language or settings.LANGUAGE_CODE)
        shown = True
    except catalogue.UnknownKey:
        # A programming error, recorded where staff see deliveries; the page that caused it goes on.
        log.error("notification to %s: unknown template key %r", recipient, key)
        subject, body, language, note, shown = key[:200], "", pref.language, f"unknown template key {key!r}", False
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate loses quietly
            n = Notification.objects.create(
                recipient=recipient, key=key[:60], params=params, language=language, subject=subject[:200],
                body=body[:2000], link=_link(obj)[:300], safety=safety, dedup_key=dedup_key or None,
                render_note=note[:300], shown=shown)
    except IntegrityError:
        return Notification.objects.filter(recipient=recipient, dedup_key=dedup_key).first()
    if not shown:
        Delivery.objects.create(notification=n, channel=Channel.INBOX, status=Delivery.Status.FAILED, attempts=1,
                                error=note[:500])
        return n
    rows = [Delivery(notification=n, channel=Channel.INBOX, status=Delivery.Status.SENT, attempts=1, sent_at=now)]
    for channel, address in channels.routes(recipient, pref):
        held = None if safety or channel not in LOUD else _quiet_until(pref, now)
        rows.append(Delivery(notification=n, channel=channel, address=address[:120],
                             status=Delivery.Status.DEFERRED if held else Delivery.Status.PENDING,
                             next_attempt_at=held or now))
    created = Delivery.objects.bulk_create(rows)
    due = [d.pk for d in created if d.status == Delivery.Status.PENDING]
    if due:
        transaction.on_commit(lambda: _dispatch(due))
    return n


def notify_all(*, recipients, key: str, params: dict | None = None, safety: bool = False,
               dedup_key: str | None = None, obj=None) -> list[Notification]:
    """`notify` for each distinct recipient (None and repeats left out)."""
    seen, out = set(), []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        n = notify(recipient=user, key=key, params=params, safety=safety, dedup_key=dedup_key, obj=obj)
        if n is not None:
            out.append(n)
    return out


def already_notified(*, dedup_key: str, user_ids) -> set[int]:
    """The users among `user_ids` who already have the notification with `dedup_key`."""
    return set(Notification.objects.filter(dedup_key=dedup_key, recipient_id__in=list(user_ids))
               .values_list("recipient_id", flat=True))


def _dispatch(delivery_ids: list[int]) -> None:
    """Hand new deliveries to the job queue once the transaction that made them has committed: a
    worker sends them (`deliveries_send`), so no request waits on a gateway. Nothing else calls the
    channels directly, and `deliveries_send_due()` (every minute) picks up whatever this misses."""
    from linli.jobs import services as jobs

    jobs.enqueue("linli.notifications.services.deliveries_send", delivery_ids=list(delivery_ids))


def _backoff(attempts: int) -> dt.timedelta:
    base = settings.LINLI_NOTIFY_RETRY_SECONDS
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliveries_send(delivery_ids, *, now: dt.datetime | None = None) -> int:
    """Send each delivery that is due. Each is claimed first (status → sending, one more attempt) by a
    conditional update, so two workers never send the same delivery; sending twice after a crash is
    the worst case, and the gateway gets the delivery id to drop it. Returns how many were delivered."""
    now = now or timezone.now()
    sent = 0
    for pk in delivery_ids:
        delivery = (Delivery.objects.select_related("notification__recipient")
                    .filter(pk=pk, status__in=Delivery.DUE).first())
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            continue
        n = delivery.notification
        if delivery.channel in LOUD and not n.safety:
            held = _quiet_until(preference_for(n.recipient), now)
            if held:
                Delivery.objects.filter(pk=pk, status__in=Delivery.DUE).update(
                    status=Delivery.Status.DEFERRED, next_attempt_at=held, updated_at=now)
                continue
        if not Delivery.objects.filter(pk=pk, status=delivery.status).update(
                status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=now):
            continue  # another worker claimed it
        delivery.attempts += 1
        try:
            channels.adapter_for(delivery.channel).send(delivery)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried, never raised
            if not isinstance(exc, channels.ChannelError):
                log.exception("notification delivery %s failed", pk)
            _failed(delivery, str(exc) or exc.__class__.__name__, now)
            continue
        Delivery.objects.filter(pk=pk, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), error="", next_attempt_at=None,
            updated_at=timezone.now())
        sent += 1
    return sent


def _failed(delivery: Delivery, error: str, now: dt.datetime) -> None:
    if delivery.attempts >= settings.LINLI_NOTIFY_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=error[:500],
                                                       next_attempt_at=None, updated_at=now)
        # The inbox already holds the message: record that it is where the message reached the user.
        Notification.objects.filter(pk=delivery.notification_id, fallback_at__isnull=True).update(fallback_at=now)
        log.warning("notification delivery %s gave up after %s attempts: %s", delivery.pk, delivery.attempts, error)
        return
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.RETRYING, error=error[:500],
                                                   next_attempt_at=now + _backoff(delivery.attempts), updated_at=now)


def deliveries_send_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Send every delivery whose time has come: new ones `_dispatch` missed, retries after their
    backoff, and messages held for quiet hours now lifted. Claims left by a dead worker are released
    first. Run every minute (the schedule); returns how many were delivered."""
    now = now or timezone.now()
    Delivery.objects.filter(status=Delivery.Status.SENDING, updated_at__lt=now - STALE_SENDING).update(
        status=Delivery.Status.RETRYING, next_attempt_at=now, updated_at=now)
    due = list(Delivery.objects.filter(status__in=Delivery.DUE)
               .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return deliveries_send(due, now=now)


@transaction.atomic
def notification_read(*, notification: Notification, by) -> Notification:
    """Mark one message read; only its recipient can (others get a 404 from the selector before this)."""
    if notification.recipient_id != by.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_read_all(*, by) -> int:
    return Notification.objects.visible_to(by).filter(read_at__isnull=True).update(read_at=timezone.now())


# WeChat binding ------------------------------------------------------------------------------------
# The user asks for a code on their settings page and sends it to the county's official account; the
# gateway, which knows the follower's OpenID, posts code and OpenID back (views.wechat_bind_callback,
# authenticated by the gateway key). Without a bound OpenID, WeChat is not a route: the inbox keeps it.

WECHAT_CODE_DIGITS = 8
WECHAT_CODE_VALID = dt.timedelta(minutes=10)
_OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def _code_digest(code: str) -> str:
    import hashlib
    import hmac

    return hmac.new(settings.SECRET_KEY.encode(), f"wechat-bind:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def wechat_code_issue(*, user) -> tuple[str, dt.datetime]:
    """A new one-time code for `user` (their earlier unused ones stop working) and when it expires."""
    import secrets

    from linli.notifications.models import WechatBindCode

    WechatBindCode.objects.filter(user=user, used_at__isnull=True).delete()
    expires = timezone.now() + WECHAT_CODE_VALID
    for _attempt in range(5):
        code = f"{secrets.randbelow(10 ** WECHAT_CODE_DIGITS):0{WECHAT_CODE_DIGITS}d}"
        try:
            with transaction.atomic():
                WechatBindCode.objects.create(user=user, digest=_code_digest(code), expires_at=expires)
            return code, expires
        except IntegrityError:  # another user's live code: draw again
            continue
    raise RuntimeError("could not draw a free WeChat binding code")


class BindError(ValueError):
    """The gateway's binding request cannot be honoured: `reason` is "openid" or "code"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def wechat_bind(*, code: str, openid: str):
    """Bind `openid` to the user whose live code this is; the code is used up. An OpenID belongs to one
    account: bound to another, it moves. Raises BindError for a malformed OpenID or an unknown, used or
    expired code."""
    from linli.notifications.models import WechatBindCode

    code, openid = str(code or "").strip(), str(openid or "").strip()
    if not _OPENID.match(openid):
        raise BindError("openid")
    if not code.isdigit() or len(code) != WECHAT_CODE_DIGITS:
        raise BindError("code")
    row = (WechatBindCode.objects.select_for_update().select_related("user")
           .filter(digest=_code_digest(code), used_at__isnull=True, expires_at__gt=timezone.now()).first())
    if row is None or not row.user.is_active:
        raise BindError("code")
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    Preference.objects.filter(wechat_openid=openid).exclude(user=row.user).update(wechat_openid="")
    pref = preference_update(user=row.user, wechat_openid=openid, wechat=True)
    notify(recipient=row.user, key="wechat.bound")
    return pref


def wechat_unbind(*, user) -> Preference:
    return preference_update(user=user, wechat_openid="", wechat=False)
