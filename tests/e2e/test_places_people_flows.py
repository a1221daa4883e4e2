"""Foundation flows in a real browser: create a site with rooms, book a room and meet the conflict
error, view a person whose ID number and phone are masked."""

import datetime as dt

from django.utils import timezone

from linli.accounts.models import Role
from linli.core.testing import HouseholdFactory, PersonFactory, RoomFactory, SiteFactory, open_all_week
from linli.people.models import Membership
from linli.places import services
from linli.places.models import Room, Site
from tests.e2e.conftest import login, shot


def test_staff_create_a_site_with_rooms(page, county, make_user):
    make_user(Role.Kind.COMMUNITY_STAFF, county["A"], username="wang")
    login(page, "wang")
    page.goto("/places/sites/new/")
    page.fill("input[name=name]", "滨江花园邻里中心")
    page.select_option("select[name=division]", str(county["A"].pk))
    page.check("input[name=is_neighborhood_center]")
    page.select_option("select[name=placement]", "residential_compound")
    page.fill("input[name=address]", "上犹县东山镇滨江路8号")
    page.fill("input[name=lat]", "25.7935")
    page.fill("input[name=lng]", "114.5430")
    page.fill("input[name=floor_area_m2]", "320")
    shot(page, "site-create")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    site = Site.objects.get(name="滨江花园邻里中心")
    assert page.url.endswith(f"/places/sites/{site.pk}/")
    # GCJ-02 was ticked by default: stored as WGS-84, a few hundred metres away
    assert abs(site.lat - 25.7935) > 1e-4
    for name, function in (("书吧", "book_bar"), ("四点半课堂", "classroom")):
        page.goto(f"/places/sites/{site.pk}/rooms/new/")
        page.fill("input[name=name]", name)
        page.select_option("select[name=function]", function)
        page.fill("input[name=capacity]", "30")
        with page.expect_navigation():
            page.click("main button[type=submit]")
    assert set(Room.objects.filter(site=site).values_list("function", flat=True)) == {"book_bar", "classroom"}
    page.goto(f"/places/sites/{site.pk}/")
    assert "书吧" in page.inner_text("main") and "四点半课堂" in page.inner_text("main")
    shot(page, "site-detail")


def test_booking_a_taken_slot_shows_the_conflict_and_keeps_the_input(page, county, make_user):
    site = SiteFactory(division=county["A"], name="东门邻里中心")
    open_all_week(site)
    room = RoomFactory(site=site, name="书吧")
    make_user(Role.Kind.RESIDENT, county["A1"], username="ma")
    other = make_user(Role.Kind.RESIDENT, county["A1"])
    day = timezone.localdate() + dt.timedelta(days=2)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    services.booking_request(room=room, by=other, start=start, end=start + dt.timedelta(hours=1), purpose="读书会")
    login(page, "ma")
    page.goto(f"/places/rooms/{room.pk}/?week={day:%Y-%m-%d}")
    form = page.locator("[data-testid=booking-form]")
    form.locator("input[name=date]").fill(f"{day:%Y-%m-%d}")
    form.locator("input[name=start_time]").fill("10:30")
    form.locator("input[name=end_time]").fill("11:30")
    form.locator("input[name=purpose]").fill("亲子阅读")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    errors = page.locator("[data-testid=booking-form] .errorlist").inner_text()
    assert "已被预订" in errors or "already booked" in errors
    assert form.locator("input[name=purpose]").input_value() == "亲子阅读"
    shot(page, "booking-conflict")
    form.locator("input[name=start_time]").fill("11:00")
    form.locator("input[name=end_time]").fill("12:00")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert room.bookings.filter(purpose="亲子阅读", status="confirmed").count() == 1


def test_a_person_is_shown_masked(page, county, make_user):
    make_user(Role.Kind.GRID_WORKER, county["A1"], username="liu")
    household = HouseholdFactory(division=county["A1"], address="东门社区南区3栋1单元501室")
    person = PersonFactory(division=county["A1"], name="丁俊华", phone="13812345678")
    Membership.objects.create(household=household, person=person, relation="head", start_date=dt.date(2020, 1, 1))
    number = person.id_number
    login(page, "liu")
    page.goto(f"/people/persons/{person.pk}/")
    text = page.inner_text("main")
    assert person.id_number_masked in text and number not in text
    assert "138****5678" in text and "13812345678" not in page.content()
    shot(page, "person-masked")
