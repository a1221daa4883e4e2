"""Browser: a guardian enrols a child on the phone; a tutor checks children in and releases one to an
authorised guardian (last four digits of the phone); a release to someone not on the list is refused
and reaches the staff page. Both viewports (phone 390 px and desktop)."""

from linli.classroom import services
from linli.classroom.models import Attendance, Enrollment, ReleaseAttempt
from linli.classroom.testing import (
    classroom_site,
    enrol,
    guardian,
    program,
    running_session,
    staff_user,
    tutor,
)
from tests.e2e.conftest import login, shot


def test_guardian_enrols_a_child(page, county):
    staff = staff_user(county["A"])
    prog = program(site=classroom_site(county["A"], name="东门邻里中心"), by=staff)
    guardian(county["A1"], username="mum", phone="13912345678")

    login(page, "mum")
    page.goto(f"/classroom/programs/{prog.pk}/")
    page.click("[data-testid=enroll]")
    page.fill("input[name=child_name]", "王小明")
    page.fill("input[name=birth_date]", "2017-05-01")
    page.fill("input[name=school]", "东门小学")
    page.fill("input[name=pickup_0_name]", "王奶奶")
    page.select_option("select[name=pickup_0_relation]", "grandparent")
    page.fill("input[name=pickup_0_phone]", "13800001111")
    # Without consent: refused, the form keeps what was typed.
    page.click("[data-testid=enroll-submit]")
    page.wait_for_selector("[data-field=consent] .errorlist")
    assert page.input_value("input[name=child_name]") == "王小明"
    assert not Enrollment.objects.exists()
    page.check("input[name=consent]")
    shot(page, "classroom-enroll")
    page.click("[data-testid=enroll-submit]")
    page.wait_for_selector("[data-testid=child-name]")
    assert page.inner_text("[data-testid=child-name]") == "王小明"
    e = Enrollment.objects.get()
    assert e.status == "active" and set(e.pickups.values_list("name", flat=True)) >= {"王奶奶"}
    shot(page, "classroom-child")


def _session_with_children(county):
    staff = staff_user(county["A"], username="wang")
    prog = program(site=classroom_site(county["A"], name="东门邻里中心"), by=staff)
    a = enrol(program=prog, by=guardian(county["A1"], phone="13912345678", name="李芳"), child_name="王小明")
    b = enrol(program=prog, by=guardian(county["A2"], phone="13912340000", name="陈静"), child_name="陈小红")
    tutor_user, volunteer = tutor(county["A"], by=staff, username="zhang")
    session = running_session(prog)
    services.roster_add(session=session, volunteer=volunteer, by=staff)
    return session, a, b


def test_tutor_checks_children_in_and_releases_one_to_a_guardian(page, county):
    session, a, b = _session_with_children(county)
    login(page, "zhang")
    page.goto("/classroom/today/")
    page.click(f"[data-testid=session-{session.pk}]")
    page.click(f"[data-testid=check-in-{a.pk}]")
    page.wait_for_selector(f"[data-testid=release-form-{a.pk}]")
    page.click(f"[data-testid=check-in-{b.pk}]")
    page.wait_for_selector(f"[data-testid=release-form-{b.pk}]")
    assert Attendance.objects.filter(session=session).count() == 2
    mum = a.pickups.get(is_guardian=True)
    page.select_option(f"[data-testid=pickup-{a.pk}]", str(mum.pk))
    page.fill(f"[data-testid=last4-{a.pk}]", "5678")
    page.click(f"[data-testid=release-{a.pk}]")
    page.wait_for_selector(f"[data-testid=released-{a.pk}]")
    shot(page, "classroom-release")
    visit = Attendance.objects.get(enrollment=a)
    assert visit.released_to == mum and visit.release_method == "phone"
    assert Attendance.objects.get(enrollment=b).released_at is None


def test_release_to_someone_not_on_the_list_is_refused(page, county):
    session, a, _ = _session_with_children(county)
    services.child_check_in(session=session, enrollment=a, by=session.roster.get().volunteer.person.user)
    login(page, "zhang")
    page.goto(f"/classroom/sessions/{session.pk}/")
    page.select_option(f"[data-testid=pickup-{a.pk}]", "")
    page.fill(f"#claimed-{a.pk}", "自称舅舅")
    page.click(f"[data-testid=release-{a.pk}]")
    page.wait_for_selector(".msg-error")
    shot(page, "classroom-release-refused")
    assert Attendance.objects.get(enrollment=a).released_at is None
    assert ReleaseAttempt.objects.get().claimed_name == "自称舅舅"
    # The community's staff see the refused attempt.
    page.context.clear_cookies()
    login(page, "wang")
    page.goto("/classroom/alerts/")
    assert "自称舅舅" in page.inner_text("[data-testid=refused-releases]")
    shot(page, "classroom-alerts")
