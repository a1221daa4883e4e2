from django.utils import timezone

from linli.activities import selectors


def my_signups(request):
    if getattr(request.user, "person", None) is None:  # no resident record: no sign-ups (no query)
        return {"registrations": []}
    rows = list(selectors.my_registrations(user=request.user).filter(occurrence__start__gte=timezone.now())
                .order_by("occurrence__start")[:5])
    return {"registrations": rows}
