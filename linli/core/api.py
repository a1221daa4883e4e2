"""API plumbing shared by every app: errors as JSON, scoped viewsets."""

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) as a 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


def json_error(request, status: int, message: str):
    return JsonResponse({"detail": message}, status=status)


class ScopedViewSet(viewsets.ModelViewSet):
    """A viewset whose queryset is always `Model.objects.visible_to(request.user)`; subclasses
    refine it with `scope_queryset(qs)` (select_related etc.)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The auditlog middleware runs before DRF authenticates a token: name the actor here so
        # changes made through the API are attributed.
        self._audit_actor = set_actor(actor=request.user if request.user.is_authenticated else None,
                                      remote_addr=request.META.get("REMOTE_ADDR"))
        self._audit_actor.__enter__()

    def finalize_response(self, request, response, *args, **kwargs):
        ctx = getattr(self, "_audit_actor", None)
        if ctx is not None:
            self._audit_actor = None
            ctx.__exit__(None, None, None)
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):
        qs = self.queryset.model.objects.visible_to(self.request.user)
        return self.scope_queryset(qs)

    def scope_queryset(self, qs):
        return qs


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(request, 404, _("Not found."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception, template_name="404.html")


def handler500(request):
    if request.path.startswith("/api/"):
        return json_error(request, 500, _("Server error."))
    from django.views.defaults import server_error

    return server_error(request, template_name="500.html")
