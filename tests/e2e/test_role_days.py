"""Each role's working day on a 390 px phone in Chinese (and one in English), through the real pages,
asserting what the user must see at each step: no dead end, every place reachable, words in the page's
language, what was done said in the message."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from linli.accounts.models import Role
from linli.cases import services as cases
from linli.cases.models import Case, ServiceItem
from linli.cases.tests.conftest import _reseed
from linli.classroom import services as classroom
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)
from linli.core.testing import HouseholdFactory, PersonFactory, SiteFactory, UserFactory, grant, open_all_week
from linli.grids import services as grids
from linli.grids.models import Campaign, Reach, Visit
from linli.people.models import Membership
from linli.volunteers.models import Team, Volunteer
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.parametrize("viewport", ["phone"])  # the phone day; desktops are toured elsewhere

HAN = re.compile(r"[\u4e00-\u9fff]")


def _open_more(page):
    page.click("[data-testid=more-menu] summary")
    return page.locator(".more-sheet")


def _message(page) -> str:
    return page.inner_text(".messages")


@pytest.fixture
def places(county):
    _reseed()
    home_site = SiteFactory(division=county["A"], name="东门邻里中心", is_neighborhood_center=True,
                            lat=25.7900, lng=114.5400)
    other = SiteFactory(division=county["B"], name="城北邻里中心", is_neighborhood_center=True,
                        lat=25.8000, lng=114.5600)
    for s in (home_site, other):
        open_all_week(s, opens=dt.time(0, 0), closes=dt.time(23, 59))
    return {"home": home_site, "other": other}


@pytest.fixture
def resident_user(county, places):
    user = grant(UserFactory(username="jumin", display_name="马伟"), Role.Kind.RESIDENT, county["A1"])
    person = PersonFactory(division=county["A1"], user=user, name="马伟", phone="13812345678")
    home = HouseholdFactory(division=county["A1"], address="东门路8号3栋201", lat=25.7905, lng=114.5405)
    Membership.objects.create(household=home, person=person, relation="head", start_date=dt.date(2020, 1, 1))
    return user


def test_a_residents_day(page, county, places, resident_user):
    login(page, "jumin")
    # Home: their community, not a work scope; the nearest centers from home, open now, a map-app link.
    home = page.inner_text("main")
    assert "您所在的社区" in home and "工作范围" not in home
    nearest = page.locator("[data-testid=nearest-centers]")
    assert "东门邻里中心" in nearest.inner_text() and "正在开放" in nearest.inner_text()
    assert "uri.amap.com" in nearest.locator("[data-testid=map-app]").first.get_attribute("href")
    # The user menu has no API docs; the "more" sheet holds every place, the classroom included.
    page.click(".usermenu summary")
    assert "接口文档" not in page.inner_text(".usermenu-body")
    page.click(".usermenu summary")
    sheet = _open_more(page)
    assert "四点半课堂" in sheet.inner_text() and "地图" in sheet.inner_text()
    shot(page, "day-resident-more")
    # Every center of the county, and another community's center page without raw coordinates.
    page.goto("/places/sites/")
    assert "城北邻里中心" in page.inner_text("[data-testid=site-list]")
    page.click("[data-testid=site-list] a:has-text('城北邻里中心')")
    assert page.locator("[data-testid=open-now]").inner_text() == "正在开放"
    assert "WGS-84" not in page.inner_text("main") and page.locator("[data-testid=map-app]").is_visible()
    shot(page, "day-resident-site")
    # Ask for a repair: the message says it was received, the withdraw block starts folded.
    page.goto("/cases/")
    page.click("[data-testid=order-service]")
    page.click("label:has-text('代购代办')")
    with page.expect_navigation():
        page.click("[data-testid=case-form] button[type=submit]")
    assert "已提交" in _message(page)
    assert page.locator("details[data-action=withdraw]").get_attribute("open") is None
    case = Case.objects.get()
    staff = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    vol_user = grant(UserFactory(), Role.Kind.VOLUNTEER, county["A"])
    vol = Volunteer.objects.create(person=PersonFactory(division=county["A2"], user=vol_user), division=county["A"],
                                   number="SY-R")
    cases.case_dispatch(case=case, by=staff, volunteer=vol)
    cases.case_accept(case=case, by=vol_user)
    cases.case_complete(case=case, by=vol_user, report="已送到")
    page.reload()
    assert "服务怎么样？" in page.inner_text("[data-action=rate]") and "活动怎么样" not in page.inner_text("main")
    page.check("input[name=rating][value='5']")
    with page.expect_navigation():
        page.click("[data-testid=do-rate]")
    assert "感谢您的评价" in _message(page)
    shot(page, "day-resident-rated")


def test_a_volunteers_day(page, county, places, resident_user):
    vol_user = grant(UserFactory(username="zhiyuanzhe"), Role.Kind.VOLUNTEER, county["A"])
    vol = Volunteer.objects.create(person=PersonFactory(division=county["A2"], user=vol_user), division=county["A"],
                                   number="SY-E2E")
    vol.teams.add(Team.objects.get(code="party_member"))
    staff = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    case = cases.case_create(by=resident_user, kind="order", service=ServiceItem.objects.get(code="errand"),
                             description="上门义剪", contact_phone="13812345678")
    cases.case_dispatch(case=case, by=staff, volunteer=vol)
    login(page, "zhiyuanzhe")
    # Home: the order dispatched to me.
    work = page.locator("[data-testid=volunteer-work]")
    assert "派给我的工单" in work.inner_text() and case.title in work.inner_text()
    work.locator(f"a:has-text('{case.title}')").click()
    assert page.locator("[data-testid=doorstep]").count() == 0  # not before accepting
    with page.expect_navigation():
        page.click("[data-testid=do-accept]")
    assert "已接单" in _message(page)
    door = page.locator("[data-testid=doorstep]")
    assert "东门路8号3栋201" in door.inner_text()
    assert door.locator("a[href='tel:13812345678']").is_visible()
    shot(page, "day-volunteer-order")


def test_a_grid_workers_day(page, county, places, resident_user):
    grant(UserFactory(username="wanggeyuan", display_name="东门社区第1网格 刘网格员"), Role.Kind.GRID_WORKER,
                   county["A1"])
    admin = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, county["county"])
    campaign = grids.campaign_create(by=admin, title="防诈骗宣传", content="下载反诈App", division=county["county"],
                                     starts_on=timezone.localdate() - dt.timedelta(days=1),
                                     deadline=timezone.localdate() + dt.timedelta(days=9),
                                     methods=[Campaign.Method.VISIT])
    household = Membership.objects.get(person__user=resident_user).household
    login(page, "wanggeyuan")
    # The worker's name is whole in the header.
    summary = page.locator(".usermenu summary")
    assert summary.inner_text() == "东门社区第1网格 刘网格员"
    assert summary.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    # The household page: campaigns not reached, a visit button, no move-out button per member.
    page.goto(f"/people/households/{household.pk}/")
    assert "尚未触达" in page.inner_text("[data-testid=campaign-history]")
    assert page.locator("text=迁出").count() == 0
    page.click("[data-testid=record-visit]")
    # The visit form: "nobody at home" is an outcome; a need becomes a concern here; the campaign is ticked.
    assert page.locator("label:has-text('家中无人') input[type=radio]").count() == 1
    assert page.locator("input[name=campaigns]").is_checked()
    page.fill("textarea[name=notes]", "身体好")
    page.fill("textarea[name=needs]", "楼道灯不亮")
    page.select_option("select[name=need_service]", label="环境卫生")
    shot(page, "day-grid-visit")
    with page.expect_navigation():
        page.click("[data-testid=save-visit]")
    message = _message(page)
    assert "走访已记录" in message and "防诈骗宣传" in message and "立案" in message
    assert Reach.objects.filter(campaign=campaign, household=household, method="visit").exists()
    assert Case.objects.get(visit=Visit.objects.get()).kind == "concern"
    page.goto(f"/people/households/{household.pk}/")
    assert "身体好" in page.inner_text("[data-testid=visit-history]")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.inner_text("main"))  # dates as people write them
    shot(page, "day-grid-household")


def test_a_tutors_and_a_guardians_day(page, county):
    staff = staff_user(county["A"], username="shegong")
    site = classroom_site(county["A"], name="东门邻里中心")
    prog = program(site=site, by=staff)
    mum = guardian(county["A1"], username="mama", phone="13912345678")
    children = [enrol(program=prog, by=mum, child_name=name) for name in ("王小明", "李小红", "张小华")]
    tutor_user, volunteer = tutor(county["A"], by=staff, username="laoshi")
    session = running_session(prog)
    classroom.roster_add(session=session, volunteer=volunteer, by=staff)
    classroom.child_check_in(session=session, enrollment=children[2], by=tutor_user)

    login(page, "laoshi")
    page.goto(f"/classroom/sessions/{session.pk}/")
    # Checked-in children first, then those not yet come; a search finds one by name.
    text = page.inner_text("[data-testid=roster]")
    assert text.index("在场") < text.index("张小华") < text.index("尚未签到") < text.index("王小明")
    page.fill("[data-testid=roster-search]", "小红")
    with page.expect_navigation():
        page.press("[data-testid=roster-search]", "Enter")
    assert "李小红" in page.inner_text("[data-testid=roster]") and "王小明" not in page.inner_text("[data-testid=roster]")
    # A refused release: back at the child's card, with the guardian's number to call.
    e = children[2]
    page.goto(f"/classroom/sessions/{session.pk}/")
    page.select_option(f"[data-testid=pickup-{e.pk}]", "")
    page.fill(f"#claimed-{e.pk}", "陌生人")
    with page.expect_navigation():
        page.click(f"[data-testid=release-{e.pk}]")
    assert page.url.endswith(f"#child-{e.pk}")
    card = page.locator(f"#child-{e.pk} [data-testid=card-message]")
    assert card.is_visible() and "13912345678" in card.inner_text() and "请致电监护人" in card.inner_text()
    shot(page, "day-tutor-refused")
    # The self-study page offers no check-in on a session day.
    page.goto(f"/classroom/self-study/{site.pk}/")
    if not classroom.is_self_study_day(site, timezone.localdate()):
        assert page.locator("[data-testid=not-self-study-day]").is_visible()
        assert page.locator(f"[data-testid=check-in-{children[0].pk}]").count() == 0

    # The guardian reaches the classroom from the "more" sheet and opens the pick-up QR.
    page.context.clear_cookies()
    login(page, "mama")
    _open_more(page).locator("a:has-text('四点半课堂')").click()
    page.click(f"a:has-text('{children[0].child_name}')")
    page.click("summary:has-text('接送二维码')")
    qr = page.locator("[data-testid^=pickup-qr] svg").first
    box = qr.bounding_box()
    assert 200 <= box["width"] <= 390 and abs(box["width"] - box["height"]) < 2
    shot(page, "day-guardian-qr")


def test_a_staff_members_day(page, county):
    staff = staff_user(county["A"], username="shegong", display_name="东门社区 王社工")
    _reseed()
    site = classroom_site(county["A"], name="东门邻里中心")
    prog = program(site=site, by=staff)
    from linli.activities.testing import activity

    occ = activity(by=staff, site=site).occurrences.get()
    mum = guardian(county["A1"], phone="13912345678")
    e = enrol(program=prog, by=mum, child_name="王小明")
    tutor_user, volunteer = tutor(county["A"], by=staff)
    session = running_session(prog)
    classroom.roster_add(session=session, volunteer=volunteer, by=staff)
    classroom.child_check_in(session=session, enrollment=e, by=tutor_user)
    for _ in range(3):
        with pytest.raises(Exception):  # noqa: B017 - refused and recorded
            classroom.child_release(enrollment=e, by=tutor_user, pickup=None, claimed_name="陌生人")
    cases.case_create(by=staff, kind="dispute", service=ServiceItem.objects.get(code="neighbour_dispute"),
                      division=county["A"], description="楼上漏水",
                      parties=[{"role": "applicant", "name": "张三", "phone": "13912341234"},
                               {"role": "respondent", "name": "李四", "phone": "13787654321"}])

    login(page, "shegong")
    # Every place from the "more" sheet: grids, sites, the classroom, the 15-minute circle, the map.
    sheet = _open_more(page).inner_text()
    for word in ("网格", "场所", "四点半课堂", "15分钟", "地图"):
        assert word in sheet, word
    # The door QR code fits the phone.
    page.goto(f"/activities/occurrences/{occ.pk}/door/")
    box = page.locator("[data-testid=door-qr] svg").bounding_box()
    assert box["width"] <= 390 and box["width"] >= 250
    shot(page, "day-staff-door")
    # The classroom alerts badge counts the refused releases; sessions are 课次.
    page.goto("/classroom/")
    assert page.locator("[data-testid=alert-count]").inner_text() == "3"
    assert "会话" not in page.inner_text("main")
    # A dispute's parties: phones masked. A new concern starts at the staff member's community.
    dispute = Case.objects.get(kind="dispute")
    page.goto(f"/cases/{dispute.pk}/")
    assert "13912341234" not in page.inner_text("main") and "139****1234" in page.inner_text("main")
    page.goto("/cases/take/concern/")
    assert page.locator("select[name=division]").input_value() == str(county["A"].pk)
    shot(page, "day-staff-take")


def test_a_volunteers_day_in_english(page, county, places, resident_user):
    vol_user = grant(UserFactory(username="volunteer"), Role.Kind.VOLUNTEER, county["A"])
    vol = Volunteer.objects.create(person=PersonFactory(division=county["A2"], user=vol_user), division=county["A"],
                                   number="SY-EN")
    vol.teams.add(Team.objects.get(code="party_member"))
    staff = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, county["A"])
    case = cases.case_create(by=resident_user, kind="order", service=ServiceItem.objects.get(code="errand"),
                             description="上门义剪")
    cases.case_dispatch(case=case, by=staff, volunteer=vol)
    login(page, "volunteer")
    with page.expect_navigation():
        page.click("[data-testid=lang-switch]")
    assert page.locator("html").get_attribute("lang") == "en"
    work = page.inner_text("[data-testid=volunteer-work]")
    assert "Orders dispatched to me" in work
    # Dates and labels in English: no 年/月/日 and no full-width colon outside the residents' own words.
    due = re.search(r"due by ([^\n·]+)", work)
    assert due and not HAN.search(due.group(1)), work
    page.click(f"[data-testid=volunteer-work] a:has-text('{case.title}')")
    with page.expect_navigation():
        page.click("[data-testid=do-accept]")
    assert _message(page) == "Accepted: the order is yours now."
    assert not HAN.search(page.inner_text(".bottombar"))
    shot(page, "day-volunteer-en")
