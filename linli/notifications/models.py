"""Notifications (通知): one message to one user, rendered in their language, kept in their in-app inbox
and delivered on the channels they allow; each channel's delivery has its own log row (status,
attempts, error, next attempt)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    INBOX = "inbox", pgettext_lazy("notification channel", "In-app inbox")
    EMAIL = "email", pgettext_lazy("notification channel", "Email")
    SMS = "sms", pgettext_lazy("notification channel", "SMS")
    WECHAT = "wechat", pgettext_lazy("notification channel", "WeChat")
    # Development: SMS and WeChat with no gateway configured are printed instead.
    CONSOLE = "console", pgettext_lazy("notification channel", "Console (development)")


# Channels that wake people (a phone chimes for mail too): held back during the recipient's quiet hours
# unless it is a safety alert. Only the inbox, which nobody hears, is never held.
LOUD = (Channel.SMS, Channel.WECHAT, Channel.EMAIL, Channel.CONSOLE)


class Preference(models.Model):
    """How a user wants to be told. The inbox is always on; phone and email come from the register and
    the account, never typed here."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    language = models.CharField(_("language of messages"), max_length=10, choices=Language.choices,
                                default=Language.ZH_HANS)
    sms = models.BooleanField(pgettext_lazy("notification channel", "SMS"), default=True)
    wechat = models.BooleanField(pgettext_lazy("notification channel", "WeChat"), default=False)
    email = models.BooleanField(pgettext_lazy("notification channel", "Email"), default=False)
    # Set when the user follows the county's WeChat official account (by the gateway's binding), not typed.
    wechat_openid = models.CharField(_("WeChat OpenID"), max_length=64, blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), default=dt.time(22, 0))
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(7, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)

    def is_quiet(self, moment: dt.time) -> bool:
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        return start <= moment < end if start < end else (moment >= start or moment < end)


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An inbox is personal: every user, superusers included, sees only their own messages
        (staff read the delivery log in the admin)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user, shown=True)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("notification", "to"), on_delete=models.CASCADE,
                                  related_name="notifications")
    key = models.CharField(_("template"), max_length=60)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True, max_length=2000)
    link = models.CharField(_("link"), max_length=300, blank=True)
    safety = models.BooleanField(_("safety alert"), default=False)
    dedup_key = models.CharField(_("de-duplication key"), max_length=120, null=True, blank=True)  # noqa: DJ001
    # A template missing in the recipient's language (rendered in the other one), or an unknown key.
    render_note = models.CharField(_("rendering note"), max_length=300, blank=True)
    # False only when the message could not be rendered at all (unknown key): recorded, not shown.
    shown = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set when every other channel gave up: the inbox is where the message is.
    fallback_at = models.DateTimeField(_("fell back to the inbox at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedup_key"], condition=Q(dedup_key__isnull=False),
                                               name="notification_dedup")]

    def __str__(self):
        return self.subject


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DEFERRED = "deferred", _("Held for quiet hours")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will retry")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Failed")

    DUE = (Status.PENDING, Status.DEFERRED, Status.RETRYING)

    notification = models.ForeignKey(Notification, verbose_name=_("notification"), on_delete=models.CASCADE,
                                     related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("notification", "delivery")
        verbose_name_plural = pgettext_lazy("notification", "deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
                   models.Index(fields=["created_at"], name="delivery_created")]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.get_status_display()}"

    @property
    def address_masked(self) -> str:
        """Whatever the channel, a phone and a mailbox are masked; an OpenID (not personal) is shown."""
        from linli.core.masking import mask_email, mask_phone

        address = self.address.strip()
        if "@" in address:
            return mask_email(address)
        if address.lstrip("+").replace("-", "").isdigit():
            return mask_phone(address)
        return address


class WechatBindCode(models.Model):
    """A one-time code a user sends to the county's WeChat official account; the gateway posts it back
    with the user's OpenID (services.wechat_bind). Only its HMAC is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat binding code")
        verbose_name_plural = _("WeChat binding codes")

    def __str__(self):
        return f"{self.user} · {self.expires_at:%Y-%m-%d %H:%M}"
