"""Access-log helper for people pages and API: core.audit plus two privacy details."""

import re

from linli.core.audit import audit_access
from linli.core.masking import mask_id_number
from linli.people.selectors import PERSON_MODEL

_ID_LIKE = re.compile(r"\d{17}[\dXx]")


class _PathOnly:
    """core.audit records request.get_full_path(); a search by ID-card number must not leave the
    number there in clear, so the query string is left out (the masked query is logged instead)."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_full_path(self):
        return self._request.path


def mask_query(q: str) -> str:
    """What was searched for, with any ID-card-like number masked."""
    return _ID_LIKE.sub(lambda m: mask_id_number(m.group().upper()), q or "")


def log_persons(request, *, action: str, ids, fields, query: str = "") -> None:
    audit_access(request=_PathOnly(request), user=request.user, action=action, model=PERSON_MODEL,
                 object_ids=ids, fields=fields, query=mask_query(query))
