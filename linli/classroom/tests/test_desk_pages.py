"""The tutor's desk on a phone: after a refused pick-up the page comes back at the child's card and the
message gives the guardian's number to call; the roster puts the children here first, then those not
yet come, and finds a child by name; the self-study page offers check-in only on self-study days."""

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.classroom import services
from linli.classroom.tests.test_rules import world  # noqa: F401 - the shared classroom world


def _client(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def test_a_refused_release_returns_to_the_childs_card_with_the_guardians_number(world):  # noqa: F811
    e = world["enrollment"]
    services.child_check_in(session=world["session"], enrollment=e, by=world["tutor"])
    c = _client(world["tutor"])
    url = reverse("classroom:session_detail", args=[world["session"].pk])
    r = c.post(url, {"enrollment": e.pk, "action": "release", "pickup": "", "claimed_name": "陌生人"})
    assert r.status_code == 302 and r.url == f"{url}#child-{e.pk}"
    page = c.get(url).content.decode()
    assert "请致电监护人" in page and "13912345678" in page


def test_the_roster_groups_children_here_first_and_finds_by_name(world, county):  # noqa: F811
    from linli.classroom.testing import enrol, guardian

    other = enrol(program=world["program"], by=guardian(county["A2"], phone="13912340000"), child_name="李小红")
    services.child_check_in(session=world["session"], enrollment=other, by=world["tutor"])
    c = _client(world["tutor"])
    url = reverse("classroom:session_detail", args=[world["session"].pk])
    page = c.get(url).content.decode()
    assert page.index('data-testid="group-here"') < page.index("李小红") < page.index('data-testid="group-waiting"')
    assert page.index('data-testid="group-waiting"') < page.index("王小明")
    found = c.get(url, {"q": "小红"}).content.decode()
    assert "李小红" in found and "王小明" not in found


def test_the_self_study_page_offers_no_check_in_on_a_session_day(world):  # noqa: F811
    c = _client(world["tutor"])
    url = reverse("classroom:self_study", args=[world["site"].pk])
    page = c.get(url).content.decode()
    if services.is_self_study_day(world["site"], timezone.localdate()):
        assert f'data-testid="check-in-{world["enrollment"].pk}"' in page
    else:
        assert 'data-testid="not-self-study-day"' in page
        assert f'data-testid="check-in-{world["enrollment"].pk}"' not in page
    # A holiday: the session moves to next week (the tutor still tutors here, so keeps the desk).
    type(world["session"]).objects.filter(pk=world["session"].pk).update(
        date=timezone.localdate() + dt.timedelta(days=7))
    page = c.get(url).content.decode()
    assert f'data-testid="check-in-{world["enrollment"].pk}"' in page and "not-self-study-day" not in page


def test_the_alerts_badge_counts_the_real_alerts(world):  # noqa: F811
    e = world["enrollment"]
    services.child_check_in(session=world["session"], enrollment=e, by=world["tutor"])
    for _ in range(2):
        try:
            services.child_release(enrollment=e, by=world["tutor"], pickup=None, claimed_name="陌生人")
        except Exception:  # noqa: BLE001 - a refused release is recorded, then raised
            pass
    page = _client(world["staff"]).get(reverse("classroom:home")).content.decode()
    assert '<span class="badge" data-testid="alert-count">2</span>' in page
