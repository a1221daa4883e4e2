from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from linli.accounts import duty_views, views
from linli.accounts.views import LoginView

app_name = "accounts"
urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("2fa/", views.twofactor_verify, name="2fa_verify"),
    path("2fa/setup/", views.twofactor_setup, name="2fa_setup"),
    path("2fa/codes/", views.twofactor_codes, name="2fa_codes"),
    path("users/", duty_views.users, name="users"),
    path("users/<int:pk>/<slug:action>/", duty_views.user_action, name="user_action"),
    path("roles/", duty_views.roles, name="roles"),
    path("roles/<int:pk>/revoke/", duty_views.role_revoke, name="role_revoke"),
    path("audit/", duty_views.audit, name="audit"),
    path("audit/export.csv", duty_views.audit_export_view, {"fmt": "csv"}, name="audit_export_csv"),
    path("audit/export.xlsx", duty_views.audit_export_view, {"fmt": "xlsx"}, name="audit_export_xlsx"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("accounts:password_change_done")), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="accounts/password_change_done.html"), name="password_change_done"),
]
