from django.urls import path

from linli.grids import views

app_name = "grids"
urlpatterns = [
    path("", views.home, name="home"),
    path("all/", views.grid_list, name="grid_list"),
    path("overdue/", views.overdue, name="overdue"),
    path("locations/", views.locations, name="locations"),
    path("<int:pk>/", views.grid_detail, name="grid_detail"),
    path("<int:pk>/boundary/", views.grid_boundary, name="grid_boundary"),
    path("<int:pk>/assign/", views.assignment_add, name="assignment_add"),
    path("<int:pk>/special/", views.special_groups, name="special_groups"),
    path("<int:pk>/register.xlsx", views.grid_export, name="grid_export"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("households/<int:pk>/visit/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/households/<int:household_pk>/reach/", views.reach_create, name="reach_create"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
]
