from django.utils.functional import SimpleLazyObject


def bell(request):
    """The unread count for the bell in the base template: one cheap query, only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}
    from linli.notifications.selectors import unread_count

    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user=user))}
