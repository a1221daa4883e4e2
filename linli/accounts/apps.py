from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _role_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):  # fixtures and restores load grants as they were
        return
    from linli.accounts import services

    services.roles_changed(user=instance.user)


def _duty_block(request):
    from linli.accounts import selectors

    user = request.user
    duties = [(name, label) for test, name, label in (
        (selectors.is_system_admin, "accounts:users", "accounts"),
        (selectors.is_security_admin, "accounts:roles", "roles"),
        (selectors.is_auditor, "accounts:audit", "audit"),
    ) if test(user)]
    return {"duties": duties} if duties else None


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"

    def ready(self):
        from auditlog.registry import auditlog

        from linli.accounts import (
            checks,  # noqa: F401  (registers the deploy check)
            demo,
        )
        from linli.accounts.models import Role, User
        from linli.core.home import register_block
        from linli.demo.generator import register_extension

        # Grants and accounts are changed by the security and system administrators: the auditor reads
        # the changes (never a password hash or the session stamp).
        auditlog.register(Role)
        auditlog.register(User, include_fields=["username", "display_name", "first_name", "last_name", "email",
                                                "is_active", "is_staff", "is_superuser", "locked_until"])
        register_block(order=5, template="accounts/_home_block.html", context=_duty_block)
        register_extension(demo.extend, last=True)

        post_save.connect(_role_changed, sender=Role, dispatch_uid="accounts-role-saved")
        post_delete.connect(_role_changed, sender=Role, dispatch_uid="accounts-role-deleted")
