from django.urls import path

from linli.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/<str:kind>/", views.new, name="new"),
    path("take/<str:kind>/", views.take, name="take"),
    path("inbox/", views.inbox, name="inbox"),
    path("offers/", views.offers, name="offers"),
    path("figures/", views.figures, name="figures"),
    path("ledger.xlsx", views.ledger, name="ledger"),
    path("catalogue/", views.services_page, name="catalogue"),
    path("board/", views.board_index, name="board_index"),
    path("board/<int:division_id>/", views.board, name="board"),
    path("night-talks/", views.night_talks, name="night_talks"),
    path("night-talks/new/", views.night_talk_new, name="night_talk_new"),
    path("night-talks/<int:pk>/", views.night_talk, name="night_talk"),
    path("<int:pk>/", views.detail, name="detail"),
    path("from-visit/<int:visit_pk>/", views.from_visit, name="from_visit"),
    path("<int:pk>/files/<int:att>/", views.attachment, name="attachment"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
