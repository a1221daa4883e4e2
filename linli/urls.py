from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from linli.cases import open311

handler404 = "linli.core.api.handler404"
handler500 = "linli.core.api.handler500"

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("divisions/", include("linli.divisions.urls")),
    path("places/", include("linli.places.urls")),
    path("people/", include("linli.people.urls")),
    path("orgs/", include("linli.orgs.urls")),
    path("activities/", include("linli.activities.urls")),
    path("volunteers/", include("linli.volunteers.urls")),
    path("cases/", include("linli.cases.urls")),
    path("open311/v2/", include("linli.cases.open311_urls")),
    path("open311/discovery.<str:fmt>", open311.discovery, name="open311-discovery"),
    path("grids/", include("linli.grids.urls")),
    path("coverage/", include("linli.coverage.urls")),
    path("classroom/", include("linli.classroom.urls")),
    path("notifications/", include("linli.notifications.urls")),
    path("p/", include("linli.public.urls")),
    path("canteen/", include("linli.canteen.urls")),
    path("workshops/", include("linli.workshops.urls")),
    path("jobs/", include("linli.jobs.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("linli.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (core.csp).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

from django.conf import settings  # noqa: E402

if settings.LINLI_BENCHMARK:
    from linli.core.benchmark import bare

    urlpatterns.append(path("bench/bare/", bare))
