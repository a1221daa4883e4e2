from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _role_changed(sender, instance, **kwargs):
    from linli.accounts import services

    services.roles_changed(user=instance.user)


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"

    def ready(self):
        from linli.accounts import checks  # noqa: F401  (registers the deploy check)
        from linli.accounts.models import Role

        post_save.connect(_role_changed, sender=Role, dispatch_uid="accounts-role-saved")
        post_delete.connect(_role_changed, sender=Role, dispatch_uid="accounts-role-deleted")
