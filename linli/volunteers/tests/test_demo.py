"""The demo county gains a year of activities and volunteer service, consistent with the rules."""

import pytest
from django.db.models import Count, F, Q

from linli.activities.models import Occurrence, Registration
from linli.core import stats
from linli.demo import generator
from linli.volunteers.models import PointsEntry, ServiceRecord, Volunteer
from linli.volunteers.services import points_balance

pytestmark = pytest.mark.django_db


def test_demo_has_a_year_of_activities_and_volunteer_service_within_the_rules(db):
    generator.build(households_per_grid=6)
    acts = stats.figures()["activities"]
    assert acts["occurrences"] > 300 and acts["participants"] > 1000
    assert len(acts["by_platform"]) == 6 and len(acts["by_method"]) >= 4 and len(acts["by_delivery"]) == 6
    assert 3 <= acts["average_review"] <= 5
    over = (Occurrence.objects.annotate(n=Count("registrations", filter=Q(registrations__status="confirmed")))
            .filter(n__gt=F("capacity")))
    assert not over.exists()
    assert Registration.objects.filter(status="waitlisted").exists()
    vols = stats.figures()["volunteers"]
    assert set(vols["by_team"]) >= {"party_member", "youth", "women"}
    assert vols["confirmed_hours"] > 100 and vols["points_outstanding"] > 0
    assert ServiceRecord.objects.filter(status="pending").exists()  # last week's hours wait for staff
    v = Volunteer.objects.get(person__user__username="volunteer")
    assert points_balance(v) >= 0 and PointsEntry.objects.filter(volunteer=v).exists()
