from django.urls import path

from linli.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read_all"),
    path("settings/", views.settings_page, name="settings"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("wechat/code/", views.wechat_code, name="wechat_code"),
    path("wechat/unbind/", views.wechat_unbind, name="wechat_unbind"),
    path("wechat/bind/", views.wechat_bind_callback, name="wechat_bind"),
    path("<int:pk>/read/", views.read, name="read"),
    path("<int:pk>/open/", views.open_link, name="open"),
]
