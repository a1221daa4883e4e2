import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from linli.core.audit import audit_access
from linli.core.models import AccessLog
from linli.core.paging import page_of
from linli.notifications import selectors, services
from linli.notifications.channels import _phone
from linli.notifications.forms import PreferenceForm
from linli.notifications.models import Channel, Delivery, Notification


def _mine(request, pk: int) -> Notification:
    try:
        return selectors.notification_for(user=request.user, pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None


@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = page_of(request, selectors.inbox(user=request.user, unread_only=unread_only))
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def read(request, pk: int):
    services.notification_read(notification=_mine(request, pk), by=request.user)
    return redirect(request.POST.get("next") if url_has_allowed_host_and_scheme(
        request.POST.get("next"), allowed_hosts={request.get_host()}) else "notifications:inbox")


@login_required
@require_POST
def open_link(request, pk: int):
    n = services.notification_read(notification=_mine(request, pk), by=request.user)
    ok = n.link and url_has_allowed_host_and_scheme(n.link, allowed_hosts={request.get_host()})
    return redirect(n.link if ok else "notifications:inbox")


@login_required
@require_POST
def read_all(request):
    n = services.notifications_read_all(by=request.user)
    messages.success(request, _("%(n)d messages marked as read.") % {"n": n})
    return redirect("notifications:inbox")


@login_required
def settings_page(request):
    pref = services.preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST" and form.is_valid():
        services.preference_update(user=request.user, **{f: form.cleaned_data[f] for f in form.Meta.fields})
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    return _settings(request, form, pref)


def _settings(request, form, pref, **extra):
    from linli.core.masking import mask_phone

    return render(request, "notifications/settings.html", {
        "form": form, "phone_masked": mask_phone(_phone(request.user)), "email": request.user.email,
        "wechat_bound": bool(pref.wechat_openid), "wechat_gateway": bool(settings.LINLI_WECHAT_GATEWAY_URL),
        **extra})


@login_required
@require_POST
def wechat_code(request):
    """A one-time code to send to the county's official account; shown once, on this page."""
    code, expires = services.wechat_code_issue(user=request.user)
    pref = services.preference_for(request.user)
    return _settings(request, PreferenceForm(instance=pref), pref, wechat_code=code, wechat_code_expires=expires)


@login_required
@require_POST
def wechat_unbind(request):
    services.wechat_unbind(user=request.user)
    messages.success(request, _("WeChat is unbound: messages no longer go there."))
    return redirect("notifications:settings")


@csrf_exempt
@require_POST
def wechat_bind_callback(request):
    """The WeChat gateway posts {"code", "openid"} when a follower sends their code to the official
    account; `Authorization: Bearer <LINLI_WECHAT_GATEWAY_KEY>`. Answers JSON, 4xx for anything wrong."""
    key = settings.LINLI_WECHAT_GATEWAY_KEY
    if not key:
        return JsonResponse({"error": "wechat binding is not configured"}, status=404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), key.encode()):
        return JsonResponse({"error": "bad gateway key"}, status=401)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "the body is not JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": "the body is not a JSON object"}, status=400)
    try:
        services.wechat_bind(code=data.get("code"), openid=data.get("openid"))
    except services.BindError as exc:
        if exc.reason == "openid":
            return JsonResponse({"error": "openid is missing or malformed"}, status=400)
        return JsonResponse({"error": "unknown, used or expired code"}, status=404)
    return JsonResponse({"ok": True})


@login_required
def deliveries(request):
    """The delivery log for staff: each message's channels to recipients in their scope, with status,
    attempts and the last error; addresses masked; the rows shown are recorded in the access log."""
    if not selectors.may_read_deliveries(request.user):
        raise Http404
    status, channel = request.GET.get("status", ""), request.GET.get("channel", "")
    page = page_of(request, selectors.deliveries_visible(user=request.user, status=status, channel=channel))
    audit_access(request=request, action=AccessLog.Action.LIST, model="notifications.Delivery",
                 object_ids=[d.pk for d in page.object_list], fields=["recipient", "address_masked", "subject"],
                 query=f"status={status}&channel={channel}")
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(request, "notifications/deliveries.html", {
        "page": page, "rows": page.object_list, "status": status, "channel": channel,
        "statuses": Delivery.Status.choices, "channels": Channel.choices, "query": filters.urlencode()})
