"""Browser: a resident signs up and checks in by opening the URL the door QR code encodes; a volunteer's
hours are confirmed by the organiser; an activity in a booked room is refused, then holds its room.
Both viewports (phone 390 px and desktop)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.models import Occurrence, Registration
from linli.activities.testing import activity, resident, shift_to
from linli.core.testing import RoomFactory, SiteFactory, UserFactory, grant, open_all_week
from linli.places import services as places_services
from linli.volunteers import services as volunteer_services
from linli.volunteers.models import ServiceRecord
from tests.e2e.conftest import login, shot


def test_resident_signs_up_and_checks_in_by_qr(page, county):
    staff = grant(UserFactory(username="wang"), Role.Kind.COMMUNITY_STAFF, county["A"])
    occ = activity(by=staff, site=SiteFactory(division=county["A"], name="东门邻里中心"), capacity=20,
                   title="城市夜话").occurrences.get()
    user = resident(county["A1"], username="zhang")

    login(page, "zhang")
    page.goto("/activities/")
    page.click("text=城市夜话")
    shot(page, "activity-detail")
    page.click("[data-testid=signup]")
    page.wait_for_selector("[data-testid=my-status] .badge-ok")
    assert Registration.objects.get(occurrence=occ, person=user.person).status == "confirmed"

    # The evening comes: the door shows the QR code; the resident's phone opens the URL it encodes.
    shift_to(occ, start=timezone.now() - dt.timedelta(minutes=5), end=timezone.now() + dt.timedelta(hours=1))
    page.context.clear_cookies()
    login(page, "wang")
    page.goto(f"/activities/occurrences/{occ.pk}/door/")
    url = page.get_attribute("[data-testid=door-qr]", "data-url")
    assert page.locator("[data-testid=door-qr] svg").count() == 1
    shot(page, "activity-door-qr")
    page.context.clear_cookies()
    login(page, "zhang")
    page.goto(url)
    page.click("[data-testid=checkin]")
    page.wait_for_selector("[data-testid=checkin-done]")
    shot(page, "activity-checked-in")
    assert Registration.objects.get(occurrence=occ, person=user.person).checked_in_at is not None


def test_volunteer_hours_are_confirmed_by_the_organiser(page, county):
    staff = grant(UserFactory(username="wang"), Role.Kind.COMMUNITY_STAFF, county["A"])
    occ = activity(by=staff, site=SiteFactory(division=county["A"]), title="义诊进社区").occurrences.get()
    user = resident(county["A1"], username="zhao")
    v = volunteer_services.volunteer_register(person=user.person, by=user)
    now = timezone.now()
    record = volunteer_services.service_record_add(volunteer=v, by=staff, content="义诊进社区 · 引导员",
                                                   start=now - dt.timedelta(hours=4), end=now - dt.timedelta(hours=1),
                                                   hours=Decimal("3"), occurrence=occ)

    login(page, "wang")
    page.goto("/volunteers/records/")
    shot(page, "volunteer-hours-pending")
    page.click(f"[data-testid=confirm-{record.pk}]")
    page.wait_for_selector(".msg")
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.CONFIRMED and record.verified_by_id == staff.pk

    page.context.clear_cookies()
    login(page, "zhao")
    page.goto("/volunteers/")
    assert page.inner_text("[data-testid=hours]") == "3.0"
    assert page.inner_text("[data-testid=points]") == "30"
    shot(page, "volunteer-home")


def test_an_activity_in_a_booked_room_is_refused_then_holds_the_room_on_its_calendar(page, county):
    site = SiteFactory(division=county["A"], name="东门邻里中心")
    open_all_week(site)
    room = RoomFactory(site=site, name="多功能活动室", capacity=40)
    grant(UserFactory(username="wang"), Role.Kind.COMMUNITY_STAFF, county["A"])
    group = resident(county["A1"], username="ma")
    today = timezone.localdate()
    saturday = today + dt.timedelta(days=7 + (5 - today.weekday()) % 7)
    nine = dt.datetime.combine(saturday, dt.time(9), tzinfo=timezone.get_current_timezone())
    places_services.booking_request(room=room, by=group, start=nine, end=nine + dt.timedelta(hours=2),
                                    purpose="居民议事会")

    login(page, "wang")
    page.goto("/activities/new/")
    page.fill("input[name=title]", "365·理论宣讲")
    page.select_option("select[name=site]", str(site.pk))
    page.select_option("select[name=room]", str(room.pk))
    page.select_option("select[name=platform]", index=1)
    page.select_option("select[name=method]", index=1)
    page.fill("input[name=date]", f"{saturday:%Y-%m-%d}")
    page.fill("input[name=start_time]", "09:00")
    page.fill("input[name=end_time]", "11:00")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    error = page.locator("[data-field=room] .errorlist").inner_text()
    assert "多功能活动室" in error and "居民议事会" in error
    assert page.locator("input[name=title]").input_value() == "365·理论宣讲"
    shot(page, "activity-room-taken")

    page.fill("input[name=start_time]", "14:00")
    page.fill("input[name=end_time]", "16:00")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    occ = Occurrence.objects.get(activity__title="365·理论宣讲")
    assert occ.bookings.get().status == "confirmed"

    page.context.clear_cookies()
    login(page, "ma")
    page.goto(f"/activities/occurrences/{occ.pk}/")
    with page.expect_navigation():
        page.click("[data-testid=room-calendar]")
    event = page.locator("[data-testid=week-calendar] .ev.activity")
    assert "365·理论宣讲" in event.inner_text()
    shot(page, "room-calendar-with-activity")
