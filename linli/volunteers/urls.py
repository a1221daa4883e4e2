from django.urls import path

from linli.volunteers import views

app_name = "volunteers"
urlpatterns = [
    path("", views.home, name="home"),
    path("join/", views.join, name="join"),
    path("list/", views.volunteer_list, name="list"),
    path("<int:pk>/", views.volunteer_detail, name="volunteer_detail"),
    path("<int:pk>/records/new/", views.record_add, name="record_add"),
    path("<int:pk>/records/export/", views.records_export, name="records_export"),
    path("<int:pk>/records.xlsx", views.records_export),  # an old link: shows the export button
    path("<int:pk>/certificate/", views.certificate_issue, name="certificate_issue"),
    path("shifts/", views.shift_list, name="shifts"),
    path("shifts/<int:pk>/", views.shift_detail, name="shift_detail"),
    path("shifts/<int:pk>/signup/", views.shift_signup, name="shift_signup"),
    path("occurrences/<int:occurrence_pk>/shifts/new/", views.shift_create, name="shift_create"),
    path("signups/<int:pk>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("signups/<int:pk>/checkin/", views.signup_checkin, name="signup_checkin"),
    path("signups/<int:pk>/checkout/", views.signup_checkout, name="signup_checkout"),
    path("signups/<int:pk>/no-show/", views.signup_no_show, name="signup_no_show"),
    path("records/", views.records_pending, name="records_pending"),
    path("records/<int:pk>/confirm/", views.record_confirm, name="record_confirm"),
    path("records/<int:pk>/reject/", views.record_reject, name="record_reject"),
    path("records/<int:pk>/reverse/", views.record_reverse, name="record_reverse"),
    path("rewards/", views.reward_list, name="rewards"),
    path("rewards/<int:pk>/redeem/", views.reward_redeem, name="reward_redeem"),
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
