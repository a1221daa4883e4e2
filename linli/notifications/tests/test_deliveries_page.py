"""The delivery log for staff: county admins see the county's, community staff the deliveries to
people in their community, others a 404; filters by status and channel; paged; addresses masked; the
rows shown are in the access log; a bounded number of queries however long the log."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.accounts.models import Role
from linli.core.models import AccessLog
from linli.notifications import services
from linli.notifications.models import Channel, Delivery
from linli.notifications.tests.conftest import not_quiet, person_user

pytestmark = pytest.mark.django_db
URL = reverse("notifications:deliveries")


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def shown(user, **query):
    r = client_for(user).get(URL, query)
    assert r.status_code == 200
    return list(r.context["rows"])


@pytest.fixture
def messages(county):
    a = person_user(county["A1"], phone="13911112222", mail="wang@example.cn", email=True, **not_quiet())
    b = person_user(county["B1"], phone="13933334444", **not_quiet())
    return {"A": services.notify(recipient=a, key="welcome"), "B": services.notify(recipient=b, key="welcome")}


def test_staff_see_the_deliveries_to_people_in_their_scope(messages, county, make_user):
    staff_a = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    assert {d.notification_id for d in shown(staff_a)} == {messages["A"].pk}
    assert {d.notification_id for d in shown(admin)} == {messages["A"].pk, messages["B"].pk}


def test_people_who_are_not_staff_get_a_404(messages, county, make_user):
    for kind, where in ((Role.Kind.GRID_WORKER, county["A1"]), (Role.Kind.RESIDENT, county["A1"]),
                        (Role.Kind.AUDITOR, county["county"]), (None, None)):
        assert client_for(make_user(kind, where)).get(URL).status_code == 404


def test_filters_by_status_and_channel(messages, county, make_user):
    staff_a = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    assert {d.channel for d in shown(staff_a, channel="email")} == {Channel.EMAIL}
    assert {d.status for d in shown(staff_a, status="sent")} == {Delivery.Status.SENT}  # the inbox
    assert {d.channel for d in shown(staff_a, status="sent")} == {Channel.INBOX}
    assert len(shown(staff_a, channel="nonsense")) == len(shown(staff_a))  # an unknown filter is no filter


def test_phones_and_mailboxes_are_masked_and_the_rows_shown_are_audited(messages, county, make_user):
    staff_a = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    r = client_for(staff_a).get(URL)
    body = r.content.decode()
    assert "139****2222" in body and "w***@example.cn" in body
    assert "13911112222" not in body and "wang@example.cn" not in body
    log = AccessLog.objects.get(user=staff_a, model="notifications.Delivery")
    assert log.action == AccessLog.Action.LIST and sorted(log.object_ids) == sorted(d.pk for d in r.context["rows"])


def test_the_log_is_paged_and_its_queries_do_not_grow_with_it(county, make_user):
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    user = person_user(county["A1"], **not_quiet())
    for i in range(5):
        services.notify(recipient=user, key="welcome", dedup_key=f"few-{i}")
    c = client_for(admin)
    c.get(URL)  # the first page of a session writes the session's own rows
    with CaptureQueriesContext(connection) as few:
        c.get(URL)
    for i in range(60):
        services.notify(recipient=user, key="welcome", dedup_key=f"many-{i}")
    with CaptureQueriesContext(connection) as many:
        r = c.get(URL)
    assert len(many) == len(few) and len(r.context["rows"]) < Delivery.objects.count()
    assert r.context["page"].has_next() and 'data-testid="pager"' in r.content.decode()


def test_staff_reach_it_from_the_jobs_page(county, make_user):
    staff_a = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    assert f'href="{URL}"' in client_for(staff_a).get(reverse("jobs:list")).content.decode()
