"""A coverage run tells whoever started it that it finished or failed."""

import datetime as dt

from linli.accounts.models import Role
from linli.core.testing import UserFactory, grant
from linli.coverage import services
from linli.coverage.models import CoverageRun
from linli.coverage.tests.conftest import center, household
from linli.notifications.models import Notification
from linli.places.models import OpeningException


def test_a_finished_run_tells_its_starter(network, county):
    starter = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, county["county"])
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0)
    run = services.coverage_run(network=network, division=county["county"], by=starter)
    assert run.status == CoverageRun.Status.FINISHED
    (n,) = Notification.objects.filter(recipient=starter)
    assert (n.key, n.subject) == ("coverage.finished", "服务圈计算完成：上犹县")
    assert n.link == f"/coverage/{county['county'].pk}/"


def test_a_failed_run_tells_its_starter_why(network, county):
    starter = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, county["county"])
    site = center(county["A"], 0, 0)
    OpeningException.objects.create(site=site, date=dt.date(2027, 1, 1), closed=True)
    run = services.coverage_run(network=network, division=county["county"], at="2027-01-01 16:30", by=starter)
    assert run.status == CoverageRun.Status.FAILED
    (n,) = Notification.objects.filter(recipient=starter)
    assert n.key == "coverage.failed" and run.error[:40] in n.body
