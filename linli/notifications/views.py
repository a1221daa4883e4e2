from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
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
    from linli.core.masking import mask_phone

    return render(request, "notifications/settings.html", {
        "form": form, "phone_masked": mask_phone(_phone(request.user)), "email": request.user.email})


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
