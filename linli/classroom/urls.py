from django.urls import path

from linli.classroom import views

app_name = "classroom"
urlpatterns = [
    path("", views.home, name="home"),
    path("programs/", views.program_list, name="program_list"),
    path("programs/new/", views.program_create, name="program_create"),
    path("programs/<int:pk>/", views.program_detail, name="program_detail"),
    path("programs/<int:pk>/plan/", views.program_plan, name="program_plan"),
    path("programs/<int:pk>/enroll/", views.enroll, name="enroll"),
    path("children/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("children/<int:pk>/action/", views.enrollment_action, name="enrollment_action"),
    path("today/", views.today, name="today"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/tutor/", views.session_tutor, name="session_tutor"),
    path("self-study/<int:site_pk>/", views.self_study, name="self_study"),
    path("pickup/<str:token>/", views.pickup, name="pickup"),
    path("alerts/", views.alerts, name="alerts"),
    path("checks/", views.checks, name="checks"),
    path("ledger/", views.ledger, name="ledger"),
]
