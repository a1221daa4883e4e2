from django.urls import path

from linli.canteen import views

app_name = "canteen"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.canteen_detail, name="detail"),
    path("<int:pk>/menu/", views.menu, name="menu"),
    path("<int:pk>/menu/edit/", views.menu_edit, name="menu_edit"),
    path("<int:pk>/counter/", views.counter, name="counter"),
    path("<int:pk>/diners/", views.diner_list, name="diner_list"),
    path("<int:pk>/diners/new/", views.diner_register, name="diner_register"),
    path("<int:pk>/kitchen/", views.kitchen, name="kitchen"),
    path("<int:pk>/deliveries/", views.deliveries, name="deliveries"),
    path("<int:pk>/safety/", views.safety, name="safety"),
    path("<int:pk>/settlement/", views.settlement, name="settlement"),
    path("card/<str:code>/", views.card, name="card"),
    path("diners/<int:pk>/", views.diner_detail, name="diner"),
    path("diners/<int:pk>/card/", views.diner_card, name="diner_card"),
    path("order/", views.order, name="order"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("missed/<int:pk>/seen/", views.delivery_seen, name="delivery_seen"),
    path("tiers/", views.tiers, name="tiers"),
]
