from django.urls import path

from linli.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("exports/<str:token>/", views.export_page, name="export"),
    path("exports/<str:token>/progress/", views.export_progress, name="export_progress"),
    path("exports/<str:token>/download/", views.export_download, name="export_download"),
]
