"""The shared API plumbing: the audit actor is let go even when a view fails."""

import pytest
from auditlog.models import LogEntry
from django.db.models.signals import pre_save
from rest_framework.test import APIRequestFactory, force_authenticate

from linli.core.api import ScopedViewSet
from linli.people.models import Person


class _Failing(ScopedViewSet):
    queryset = Person.objects.all()

    def list(self, request, *args, **kwargs):
        raise RuntimeError("a bug in a view")


def _receivers():
    return len(pre_save._live_receivers(LogEntry)[0])


def test_a_server_error_in_an_api_view_leaves_no_audit_receiver_connected(county, make_user):
    user = make_user("county_admin", county["county"])
    before = _receivers()
    request = APIRequestFactory().get("/api/failing/")
    force_authenticate(request, user=user)
    with pytest.raises(RuntimeError):
        _Failing.as_view({"get": "list"})(request)
    assert _receivers() == before
