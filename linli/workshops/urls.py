from django.urls import path

from linli.workshops import views

app_name = "workshops"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.workshop_new, name="new"),
    path("checks/", views.checks, name="checks"),
    path("me/", views.my_pay, name="my_pay"),
    path("me/slips/<int:pk>/", views.my_slip, name="my_slip"),
    path("me/concern/", views.my_concern, name="my_concern"),
    path("me/record/", views.my_record, name="my_record"),
    path("me/record/<int:pk>/withdraw/", views.my_record_withdraw, name="my_record_withdraw"),
    path("<int:pk>/", views.workshop_detail, name="detail"),
    path("<int:pk>/edit/", views.workshop_edit, name="edit"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/jobs/", views.job_rate, name="job_rate"),
    path("<int:pk>/workers/", views.worker_list, name="worker_list"),
    path("<int:pk>/roster/", views.roster, name="roster"),
    path("<int:pk>/workers/new/", views.worker_add, name="worker_add"),
    path("<int:pk>/workers/<int:worker_pk>/", views.worker_detail, name="worker"),
    path("<int:pk>/records/", views.records, name="records"),
    path("<int:pk>/records/new/", views.record_new, name="record_new"),
    path("<int:pk>/pay/", views.pay_runs, name="pay_runs"),
    path("<int:pk>/reviews/", views.reviews, name="reviews"),
    path("<int:pk>/subsidies/", views.subsidies, name="subsidies"),
    path("pay/<int:pk>/", views.pay_run_detail, name="pay_run"),
    path("subsidies/<int:pk>/", views.subsidy_detail, name="subsidy"),
]
