"""Grid events that notify: overdue care visits (the grid worker, once a day), a campaign started (the
grid workers concerned), a register import finished or failed (whoever started it). Messages are in
the recipient's language: Chinese, the default, for users who never chose."""

import datetime as dt

from django.utils import timezone

from linli.grids import services
from linli.grids.models import GridAssignment, RegisterImport
from linli.grids.tests.test_import_background import previewed
from linli.notifications.models import Notification
from linli.people import services as people_services


def _mine(user, key):
    return list(Notification.objects.filter(recipient=user, key=key))


def test_overdue_care_visits_tell_the_grid_worker_once_a_day(users, homes):
    worker = users["grid_worker"]
    assert services.care_visits_overdue_notify() == 1
    (n,) = _mine(worker, "care.overdue")
    assert n.subject == "逾期未走访的关爱对象：1 户" and "网格A1" in n.body and n.link == "/grids/overdue/"
    assert services.care_visits_overdue_notify() == 0  # same day: nothing new
    assert len(_mine(worker, "care.overdue")) == 1
    assert services.care_visits_overdue_notify(today=timezone.localdate() + dt.timedelta(days=1)) == 1


def test_no_overdue_visit_no_message(users, homes):
    services.visit_record(by=users["grid_worker"], household=homes["A1"][0], visited_on=timezone.localdate())
    assert services.care_visits_overdue_notify() == 0 and not _mine(users["grid_worker"], "care.overdue")


def test_an_assigned_grid_worker_is_told_too(users, homes, county, make_user):
    assigned = make_user()
    GridAssignment.objects.create(grid=county["B1"], user=assigned, start_date=timezone.localdate())
    services.care_visits_overdue_notify()
    (n,) = _mine(assigned, "care.overdue")
    assert "网格B1" in n.body


def test_a_campaign_start_tells_the_grid_workers_under_its_scope(users, county, make_user):
    from linli.accounts.models import Role

    outside = make_user(Role.Kind.GRID_WORKER, county["B1"])
    campaign = services.campaign_create(by=users["community_staff"], title="防溺水宣传", content="暑期防溺水",
                                        division=county["A"], starts_on=timezone.localdate(),
                                        deadline=timezone.localdate() + dt.timedelta(days=14), methods=["visit"])
    (n,) = _mine(users["grid_worker"], "campaign.started")
    assert n.subject == "新的宣传任务：防溺水宣传" and n.link == f"/grids/campaigns/{campaign.pk}/"
    assert not _mine(outside, "campaign.started")


def test_a_finished_import_tells_its_starter(users):
    keeper = users["community_staff"]
    imp = previewed(keeper, n=2)
    services.register_import_commit_start(by=keeper, register_import=imp)
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED
    (n,) = _mine(keeper, "import.finished")
    assert n.subject == "台账导入完成：ledger.xlsx"
    assert n.body == "新登记 2 户、2 人。"


def test_a_failed_import_tells_its_starter(users, monkeypatch):
    keeper = users["community_staff"]
    imp = previewed(keeper)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(people_services, "person_create", broken)
    services.register_import_commit_start(by=keeper, register_import=imp)
    (n,) = _mine(keeper, "import.failed")
    assert n.subject == "台账导入失败：ledger.xlsx" and n.body.startswith("没有导入任何数据。")
    assert not _mine(keeper, "import.finished")
