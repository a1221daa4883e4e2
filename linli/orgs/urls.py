from django.urls import path

from linli.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.organization_list, name="organization_list"),
    path("new/", views.organization_create, name="organization_create"),
    path("<int:pk>/edit/", views.organization_edit, name="organization_edit"),
]
