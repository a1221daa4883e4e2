"""Reads a page makes more than once, answered once per request.

A home page's blocks are written by different apps and each asks the same question of the user ("is
this user a volunteer, and which?"). `per_request` keeps a function's answers for the length of one
GET or HEAD request (`RequestMemoMiddleware`), keyed by the function and its arguments (a model
instance counts by its class and primary key). Outside a request — services, jobs, the shell, tests
calling selectors directly — and during a POST, every call reads afresh, so nothing a request writes
can be hidden from the same request by an earlier answer.

Only for functions whose answer depends on nothing but their arguments and the database, and whose
result the callers do not change.
"""

import functools
from contextvars import ContextVar

from django.db.models import Model

_memo: ContextVar[dict | None] = ContextVar("linli_request_memo", default=None)
SAFE_METHODS = ("GET", "HEAD")


def _key(value):
    if isinstance(value, Model):
        return (type(value).__name__, value.pk)
    if getattr(value, "is_anonymous", False):
        return ("anonymous",)
    return value


def per_request(fn):
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        memo = _memo.get()
        if memo is None:
            return fn(*args, **kwargs)
        key = (name, tuple(_key(a) for a in args), tuple(sorted((k, _key(v)) for k, v in kwargs.items())))
        if key not in memo:
            memo[key] = fn(*args, **kwargs)
        return memo[key]

    return wrapper


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
