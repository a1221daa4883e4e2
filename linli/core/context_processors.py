from django.conf import settings

from linli.core.nav import is_worker, nav_for
from linli.core.scoping import role_kinds


def linli(request):
    user = getattr(request, "user", None)
    nav_items, bottom_items = nav_for(user, request.path)
    return {
        "nav_items": nav_items,
        "bottom_items": bottom_items,
        "LINLI_APP_NAME": settings.LINLI_APP_NAME,
        "user_roles": role_kinds(user) if user is not None else set(),
        "user_is_worker": is_worker(user),
    }
