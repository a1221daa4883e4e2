"""API plumbing shared by every app: errors as JSON, scoped viewsets."""

import contextlib

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
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

    def dispatch(self, request, *args, **kwargs):
        # The actor context is closed here, in a finally: finalize_response is skipped when a view
        # raises an unhandled error, and a context left open kept its pre_save receiver connected
        # for ever and was closed later by the garbage collector, inside another request's context.
        with contextlib.ExitStack() as self._audit_stack:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The auditlog middleware runs before DRF authenticates a token: name the actor here so
        # changes made through the API are attributed.
        self._audit_stack.enter_context(set_actor(
            actor=request.user if request.user.is_authenticated else None,
            remote_addr=request.META.get("REMOTE_ADDR")))

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


# The statuses every endpoint may answer, documented once for all (drf-spectacular's AutoSchema):
# bad input, no or a wrong token, a role that may not, out of scope or unknown (also a page past the
# end), a create that lives on another action, a state that forbids the action, too many requests. Each with the JSON body DRF sends.
_ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}, "additionalProperties": True}
ERROR_RESPONSES = {
    "400": ("Bad input: field errors by field name, or non_field_errors.", {}),
    "401": ("No credentials, or they are not valid.", _ERROR),
    "403": ("The caller's roles do not allow this.", _ERROR),
    "404": ("Not found, or outside the caller's divisions.", _ERROR),
    "405": ("The method is not offered here; the detail names the action to use.", _ERROR),
    "409": ("The record's state does not allow this now.", _ERROR),
    "429": ("Too many requests; try again later.", _ERROR),
}


class AutoSchema(_SpectacularAutoSchema):
    """The project's schema generator: every operation also documents ERROR_RESPONSES, and only list
    views (or actions that say so) are documented as paginated."""

    def _get_paginator(self):
        # A detail action answering many records answers a plain list, unless its view lists it in
        # `paginated_actions` (drf-spectacular would otherwise document a page object).
        if getattr(self.view, "detail", False) and getattr(self.view, "action", None) not in getattr(
                self.view, "paginated_actions", ()):
            return None
        return super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, (description, schema) in ERROR_RESPONSES.items():
                responses.setdefault(code, {"description": description,
                                            "content": {"application/json": {"schema": schema}}})
        return responses
