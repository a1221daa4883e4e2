"""Where one page's time goes, in-process: cProfile over repeated requests of one page as one demo role,
through the whole middleware stack (Django's test client), on whatever DATABASE_URL points at.

    DATABASE_URL='postgres://postgres@127.0.0.1:5432/wt_scale?options=-c%20search_path%3Dlarge' \\
        .venv/bin/python benchmarks/profile_page.py county /api/persons/ --repeat 50 --top 40

Prints the mean wall time per request and the query count, then the functions with the largest
cumulative time (`--sort tottime` for own time). The first request is a warm-up and is not profiled.
The standard library's profiler only, so nothing to install.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", help="a demo login: county, staff, site, grid, tutor, volunteer, resident …; "
                                     "`all` times every page of benchmarks/pages_bench.py (path then ignored)")
    parser.add_argument("path", nargs="?", default="/")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument("--sql", action="store_true", help="print each query of one request with its time")
    parser.add_argument("--templates", action="store_true",
                        help="time each template's rendering (inclusive of what it includes) instead of profiling")
    parser.add_argument("--dupes", action="store_true",
                        help="with `all`: list the queries a page runs more than once (same SQL and parameters)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("LINLI_HTTPS", "false")
    os.environ.setdefault("LINLI_BENCHMARK", "true")
    import django

    django.setup()
    from django.db import connection

    import linli.wsgi  # noqa: F401  the web worker's own set-up (its garbage-collector settings, decision 0029)

    if args.role == "all":  # every page of the pages benchmark, timed only
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from pages_bench import BARE, PAGES

        for role, path in [BARE, *((r, p) for r, pages in PAGES.items() for p in pages)]:
            if args.dupes:
                _dupes(_client(role), role, path)
                continue
            ms, count, size = _time(_client(role), path, args.repeat)
            print(f"{role:10} {path:32} {ms:7.1f} ms {count:3} queries {size:7} bytes", flush=True)
        return
    client = _client(args.role)
    response = client.get(args.path)
    if response.status_code != 200:
        sys.exit(f"{args.path} as {args.role}: {response.status_code}")
    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(record):
        client.get(args.path)
    if args.sql:
        for ms, sql in queries:
            shown = sql if os.environ.get("FULLSQL") else sql[:400]
            print(f"{ms:7.2f} ms  {shown}")
    if args.templates:
        _template_times(client, args.path, args.repeat)
        return
    profiler = None if args.no_profile else cProfile.Profile()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(args.repeat):
        client.get(args.path)
    if profiler:
        profiler.disable()
    elapsed = (time.perf_counter() - started) / args.repeat
    print(f"{args.role} {args.path}: {elapsed * 1000:.1f} ms a request (mean of {args.repeat}"
          f"{', under the profiler' if profiler else ''}), {len(queries)} queries, {len(response.content)} bytes")
    if profiler:
        pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)


def _client(role):
    """A test client signed in as the demo login `role`, second factor included."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=role)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _template_times(client, path, repeat):
    """ms a request spent in each template's render (a template's time includes its includes)."""
    from collections import defaultdict

    from django.template.base import Template

    spent = defaultdict(float)
    original = Template._render

    def timed(self, context):
        started = time.perf_counter()
        try:
            return original(self, context)
        finally:
            spent[self.origin.template_name if self.origin else "?"] += time.perf_counter() - started

    Template._render = timed
    try:
        started = time.perf_counter()
        for _ in range(repeat):
            client.get(path)
        total = (time.perf_counter() - started) / repeat * 1000
    finally:
        Template._render = original
    print(f"{path}: {total:.1f} ms a request")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{seconds / repeat * 1000:7.2f} ms  {name}")


def _dupes(client, role, path):
    """Print the queries one request of `path` runs more than once."""
    from collections import Counter

    from django.db import connection

    client.get(path)
    seen = Counter()

    def record(execute, sql, params, many, context):
        seen[(sql, repr(params))] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(path)
    for (sql, _params), n in seen.items():
        if n > 1:
            print(f"{role:10} {path:32} {n}x  {sql[:300]}", flush=True)


def _time(client, path, repeat):
    """Mean ms of `repeat` warm requests, the query count of one, the body's size."""
    from django.db import connection

    response = client.get(path)
    seen = []
    with connection.execute_wrapper(lambda execute, *a: seen.append(1) or execute(*a)):
        client.get(path)
    started = time.perf_counter()
    for _ in range(repeat):
        client.get(path)
    return (time.perf_counter() - started) / repeat * 1000, len(seen), len(response.content)


if __name__ == "__main__":
    main()
