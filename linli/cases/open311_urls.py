"""Open311 GeoReport v2 endpoints; the project mounts these at /open311/v2/."""

from django.urls import path

from linli.cases import open311

app_name = "open311"
urlpatterns = [
    path("services.<str:fmt>", open311.service_list, name="services"),
    path("services/<str:code>.<str:fmt>", open311.service_definition, name="service"),
    path("requests.<str:fmt>", open311.requests, name="requests"),
    path("requests/<str:rid>.<str:fmt>", open311.request_detail, name="request"),
    path("tokens/<str:token>.<str:fmt>", open311.token_detail, name="token"),
    path("servicerequestupdates.<str:fmt>", open311.request_updates, name="updates"),
]
