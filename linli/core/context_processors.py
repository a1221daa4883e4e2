from django.conf import settings

from linli.core.scoping import role_kinds


def linli(request):
    user = getattr(request, "user", None)
    return {
        "LINLI_APP_NAME": settings.LINLI_APP_NAME,
        "user_roles": role_kinds(user) if user is not None else set(),
    }
