"""The idle time-out, renewed without a write on every request (decision 0030).

Django's SESSION_SAVE_EVERY_REQUEST wrote the session row on every request of a signed-in user: a
read answered with an UPDATE and a commit (a WAL flush). On PostgreSQL the update is never HOT (the
expiry date is indexed), so a busy user's row left a dead version in three indexes a request, and the
session lookup of every request walked them until vacuum came (the bare view slowed by a fifth over
1,600 requests of one user). This middleware marks the session for saving only when its last renewal
is LINLI_SESSION_RENEW_SECONDS old or more; SessionMiddleware then saves it and sends the cookie with
the new expiry as before. The idle time-out is therefore between SESSION_COOKIE_AGE minus the renewal
interval and SESSION_COOKIE_AGE: never longer than the set limit.

It sits below SessionMiddleware, so it runs before that middleware's response phase.
"""

import time

from django.conf import settings

RENEWED = "_linli_renewed"  # when the expiry was last pushed forward (epoch seconds)


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No key: nothing stored for this browser (anonymous) or a session just flushed; a modified
        # session is saved anyway, and its renewal time set with it.
        if session is None or session.session_key is None:
            return response
        now = int(time.time())
        if session.modified:
            if not session.is_empty():
                session[RENEWED] = now
            return response
        renewed = session.get(RENEWED, 0)  # loads it if the request did not
        if session.session_key is None:  # the cookie named a session that has expired or never was
            return response
        # At most half the time-out: a renewal interval set longer would end sessions in use.
        every = min(settings.LINLI_SESSION_RENEW_SECONDS, settings.SESSION_COOKIE_AGE // 2)
        if now - renewed >= every:
            session[RENEWED] = now  # modified: SessionMiddleware saves it and renews the cookie
        return response
