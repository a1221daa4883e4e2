"""Every app registers its viewsets on one router, so /api/ lists them all."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from linli.accounts.api import TokenView
from linli.activities.api import register as register_activities
from linli.canteen.api import register as register_canteen
from linli.cases.api import register as register_cases
from linli.classroom.api import register as register_classroom
from linli.coverage.api import register as register_coverage
from linli.divisions.api import register as register_divisions
from linli.grids.api import register as register_grids
from linli.notifications.api import register as register_notifications
from linli.orgs.api import register as register_orgs
from linli.people.api import register as register_people
from linli.places.api import register as register_places
from linli.volunteers.api import register as register_volunteers
from linli.workshops.api import register as register_workshops

router = DefaultRouter()
for register in (
    register_divisions,
    register_places,
    register_people,
    register_orgs,
    register_activities,
    register_volunteers,
    register_cases,
    register_grids,
    register_coverage,
    register_classroom,
    register_notifications,
    register_canteen,
    register_workshops,
):
    register(router)

urlpatterns = [
    path("token/", TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]
