"""Every guard: a clear error, and nothing half-saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from linli.cases import services
from linli.cases.models import Attachment, Case, CaseEvent, Kind
from linli.cases.tests.conftest import held_night_talk, item, new_case
from linli.volunteers.models import ServiceRecord

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _counts():
    return Case.objects.count(), CaseEvent.objects.count(), Attachment.objects.count()


def _dispatched(w):
    case = new_case(w)
    return services.case_dispatch(case=case, by=w["staff"], team=w["team"])


def test_rating_an_order_that_was_never_done_is_refused(world):
    case = _dispatched(world)
    services.case_accept(case=case, by=world["vol_user"])
    with pytest.raises(ValidationError, match="done"):
        services.case_rate(case=case, by=world["resident"], rating=5)
    case.refresh_from_db()
    assert (case.status, case.rating) == (Case.Status.IN_PROGRESS, None)


def test_accepting_a_cancelled_dispatch_is_refused(world):
    case = _dispatched(world)
    services.case_cancel_dispatch(case=case, by=world["staff"], reason="居民改期")
    with pytest.raises(ValidationError, match="not waiting to be accepted"):
        services.case_accept(case=case, by=world["vol_user"])
    case.refresh_from_db()
    assert case.status == Case.Status.NEW and case.team is None


def test_a_volunteer_of_another_community_cannot_accept(world):
    case = _dispatched(world)
    with pytest.raises(PermissionDenied):
        services.case_accept(case=case, by=world["other_vol_user"])


def test_a_service_of_another_kind_is_refused(world):
    before = _counts()
    with pytest.raises(ValidationError) as e:
        services.case_create(by=world["resident"], kind=Kind.ORDER, service=item("environment"))
    assert "service" in e.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize("lat,lng,message", [(48.85, 2.35, "outside China"), (114.54, 25.79, "outside China"),
                                             (39.90, 116.40, "outside the county")])
def test_a_location_outside_china_or_the_county_is_refused(world, lat, lng, message):
    before = _counts()
    with pytest.raises(ValidationError, match=message):
        services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                             description="路灯坏了", lat=lat, lng=lng)
    assert _counts() == before


def test_a_location_in_the_county_is_kept(world):
    case = services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                                description="路灯坏了", lat=25.7901, lng=114.5401)
    assert (case.lat, case.lng) == (25.7901, 114.5401)


@override_settings(LINLI_CASE_MAX_UPLOAD_BYTES=1024)
def test_an_oversize_attachment_is_refused_and_nothing_is_saved(world):
    before = _counts()
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2000, content_type="image/png")
    with pytest.raises(ValidationError, match="larger than"):
        services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                             description="垃圾", files=[big])
    assert _counts() == before


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_whatever_it_claims(world):
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(ValidationError, match="not a photo"):
        services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                             description="垃圾", files=[fake])


def test_a_photo_is_kept_with_its_sniffed_type(world):
    photo = SimpleUploadedFile("p.jpg", PNG, content_type="image/jpeg")
    case = services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                                description="垃圾", files=[photo])
    assert case.attachments.get().content_type == "image/png"


def test_a_dispute_needs_two_parties_and_staff(world):
    with pytest.raises(ValidationError, match="two parties"):
        services.case_create(by=world["staff"], kind=Kind.DISPUTE, service=item("neighbour_dispute"),
                             division=world["A"], description="吵架", parties=[{"role": "applicant", "name": "张"}])
    with pytest.raises(PermissionDenied):
        services.case_create(by=world["resident"], kind=Kind.DISPUTE, service=item("neighbour_dispute"),
                             description="吵架")


def test_staff_of_another_community_cannot_dispatch(world):
    case = new_case(world)
    with pytest.raises(PermissionDenied):
        services.case_dispatch(case=case, by=world["staff_b"], team=world["team"])
    assert Case.objects.get(pk=case.pk).status == Case.Status.NEW


def test_an_escalated_case_is_closed_by_the_county_only(world):
    case = new_case(world, Kind.CONCERN)
    services.case_escalate(case=case, by=world["staff"], reason="需县里协调")
    with pytest.raises(PermissionDenied):
        services.case_close(case=case, by=world["staff"], answer="已处理")
    services.case_close(case=case, by=world["county_admin"], answer="已处理")
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_a_dispute_closes_with_its_agreement_terms(world):
    case = new_case(world, Kind.DISPUTE)
    services.case_dispatch(case=case, by=world["staff"])
    with pytest.raises(ValidationError) as e:
        services.case_close(case=case, by=world["staff"], agreement_terms="赔偿500元")
    assert "performance" in e.value.message_dict
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_PROGRESS


def test_rating_is_one_to_five_and_only_by_the_resident(world):
    case = _dispatched(world)
    services.case_accept(case=case, by=world["vol_user"])
    services.case_complete(case=case, by=world["vol_user"], report="修好了")
    with pytest.raises(ValidationError):
        services.case_rate(case=case, by=world["resident"], rating=6)
    with pytest.raises(PermissionDenied):
        services.case_rate(case=case, by=world["resident_b"], rating=5)
    services.case_rate(case=case, by=world["resident"], rating=4, comment="及时")
    case.refresh_from_db()
    assert (case.status, case.rating, case.resolution) == (Case.Status.CLOSED, 4, Case.Resolution.RESOLVED)


def test_hours_flow_into_a_pending_service_record_from_a_residents_order(world):
    case = _dispatched(world)
    services.case_accept(case=case, by=world["vol_user"])
    # Accepted three hours ago (the history says so), two hours of work reported now.
    CaseEvent.objects.filter(case=case, action="accept").update(at=timezone.now() - dt.timedelta(hours=3))
    case = services.case_complete(case=case, by=world["vol_user"], report="陪老人买菜", hours="2")
    record = ServiceRecord.objects.get(pk=case.service_record_id)
    assert (record.volunteer, record.hours, record.status) == (world["volunteer"], Decimal("2.00"),
                                                               ServiceRecord.Status.PENDING)
    # From the resident's order, reported by the volunteer: not "added by staff".
    assert (record.source, record.recorded_by) == (ServiceRecord.Source.ORDER, world["vol_user"])
    assert case.number in record.content


def test_staff_completing_an_order_for_the_volunteer_still_records_an_order(world):
    case = _dispatched(world)
    services.case_accept(case=case, by=world["vol_user"])
    case = services.case_complete(case=case, by=world["staff"], report="代为登记", hours="1.5")
    record = ServiceRecord.objects.get(pk=case.service_record_id)
    assert (record.volunteer, record.source, record.recorded_by) == (world["volunteer"], ServiceRecord.Source.ORDER,
                                                                     world["staff"])


def test_an_order_completed_without_hours_writes_no_record(world):
    case = _dispatched(world)
    services.case_accept(case=case, by=world["vol_user"])
    case = services.case_complete(case=case, by=world["vol_user"], report="修好了")
    assert case.service_record_id is None and not ServiceRecord.objects.exists()


def test_duplicate_points_at_the_first_case(world):
    first, second, third = new_case(world, Kind.CONCERN), new_case(world, Kind.CONCERN), new_case(world, Kind.CONCERN)
    services.case_mark_duplicate(case=second, by=world["staff"], original=first)
    services.case_mark_duplicate(case=third, by=world["staff"], original=Case.objects.get(pk=second.pk))
    assert Case.objects.get(pk=third.pk).duplicate_of_id == first.pk


def test_follow_up_visit_once_after_closing(world):
    case = new_case(world, Kind.DISPUTE)
    with pytest.raises(ValidationError, match="after the case is closed"):
        services.case_follow_up(case=case, by=world["staff"], note="好")
    services.case_dispatch(case=case, by=world["staff"])
    services.mediation_session_add(case=case, by=world["staff"], held_at=timezone.now(), record="双方陈述")
    services.case_close(case=case, by=world["staff"], agreement_terms="赔偿", performance="一周内当面付清")
    services.case_follow_up(case=case, by=world["staff"], note="已履行")
    with pytest.raises(ValidationError, match="already"):
        services.case_follow_up(case=case, by=world["staff"], note="再次")


def test_deadlines_follow_kind_and_priority_and_the_dispute_setting(world, settings):
    settings.LINLI_DISPUTE_DEADLINE_DAYS = 20
    dispute = new_case(world, Kind.DISPUTE)
    assert round((dispute.due_at - dispute.created_at).total_seconds() / 86400) == 20
    urgent = services.case_create(by=world["resident"], kind=Kind.ORDER, service=item("errand"), priority="urgent")
    assert urgent.due_at - urgent.created_at == dt.timedelta(hours=24)


def test_night_talk_opinions_become_linked_cases(world):
    talk = services.night_talk_record(
        by=world["staff"], occurrence=held_night_talk(world, hours_ago=2),
        minutes="通报工作", opinions=[(item("opinion_traffic"), "增设公交站"), (item("opinion_care"), "食堂加晚餐")])
    assert list(talk.opinions.order_by("pk").values_list("kind", "description")) == [
        (Kind.OPINION, "增设公交站"), (Kind.OPINION, "食堂加晚餐")]


def test_the_migration_relabels_only_hours_linked_to_an_order(world):
    import importlib

    from django.apps import apps

    from linli.volunteers import services as volunteer_services

    case = _dispatched(world)
    services.case_accept(case=case, by=world["vol_user"])
    case = services.case_complete(case=case, by=world["vol_user"], report="陪老人买菜", hours="1")
    ServiceRecord.objects.filter(pk=case.service_record_id).update(source=ServiceRecord.Source.ADMIN)  # as before
    now = timezone.now()
    by_hand = volunteer_services.service_record_add(volunteer=world["volunteer"], by=world["staff"], content="入户走访",
                                                    start=now - dt.timedelta(hours=3), end=now - dt.timedelta(hours=1),
                                                    hours=Decimal("2"))
    importlib.import_module("linli.cases.migrations.0004_order_hours_source").relabel(apps, None)
    assert ServiceRecord.objects.get(pk=case.service_record_id).source == ServiceRecord.Source.ORDER
    assert ServiceRecord.objects.get(pk=by_hand.pk).source == ServiceRecord.Source.ADMIN
