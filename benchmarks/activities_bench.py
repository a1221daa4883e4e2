"""Activities at county scale: sign-up throughput (through the service, which locks the occurrence
row) and the calendar page, on a county with about 100k registrations.

    .venv/bin/python benchmarks/activities_bench.py [--registrations 100000] [--signups 400] [--threads 8]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_act .venv/bin/python benchmarks/activities_bench.py

Uses a throw-away SQLite file unless DATABASE_URL is given (that database is flushed first). Past
records are bulk-created; the timed sign-ups go through `registration_create` like a request would.
The calendar is fetched with Django's test client as a county administrator (whole county) and as
community staff (one site), median of --repeat, with the number of SQL queries per page.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LINLI_DATA_DIR", tempfile.mkdtemp(prefix="linli-bench-"))
os.environ.setdefault("LINLI_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registrations", type=int, default=100_000)
    ap.add_argument("--signups", type=int, default=400)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()

    import django

    django.setup()
    import datetime as dt

    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client then records each page's context

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from linli.accounts.models import Role, User
    from linli.activities import services
    from linli.activities.models import Activity, Method, Occurrence, Platform, Registration, new_token
    from linli.activities.testing import seed_reference_data
    from linli.divisions.models import Division
    from linli.people.models import Person
    from linli.places.models import Site

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    seed_reference_data()
    rng = random.Random(7)
    t0 = time.perf_counter()
    county = Division.objects.create(name="县", code="BA", level="county")
    town = Division.objects.create(name="镇", code="BA1", level="subdistrict", parent=county)
    coms, sites = [], []
    for c in range(11):
        com = Division.objects.create(name=f"社区{c}", code=f"BA1-{c}", level="community", parent=town)
        coms.append(com)
        sites.append(Site.objects.create(name=f"邻里中心{c}", division=com, address="x", is_neighborhood_center=True))
    admin = User.objects.create_user("bench-county", password="x")
    Role.objects.create(user=admin, kind=Role.Kind.COUNTY_ADMIN, division=county)
    staff = User.objects.create_user("bench-staff", password="x")
    Role.objects.create(user=staff, kind=Role.Kind.COMMUNITY_STAFF, division=coms[0])
    persons = Person.objects.bulk_create([Person(name=f"居民{i}", division=coms[i % 11]) for i in range(20_000)],
                                         batch_size=2000)
    if not persons[0].pk:
        persons = list(Person.objects.order_by("pk"))
    platform, method = Platform.objects.first(), Method.objects.first()
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    occurrences = []
    per_occ = 25
    n_occ = args.registrations // per_occ
    for i in range(n_occ // 20):  # weekly series of 20 dates each
        site = sites[i % 11]
        act = Activity.objects.create(title=f"活动{i}", site=site, platform=platform, method=method, capacity=30,
                                      recurrence="weekly", created_by=admin)
        hour = 9 + i % 11
        for w in range(20):
            start = dt.datetime.combine(today - dt.timedelta(days=70 - 7 * w + i % 7), dt.time(hour), tzinfo=tz)
            occurrences.append(Occurrence(activity=act, start=start, end=start + dt.timedelta(hours=2), capacity=30,
                                          checkin_token=new_token()))
    Occurrence.objects.bulk_create(occurrences, batch_size=2000)
    by_com = {}
    for p in persons:
        by_com.setdefault(p.division_id, []).append(p.pk)
    regs = []
    for occ in occurrences:
        for pid in rng.sample(by_com[occ.activity.site.division_id], per_occ):
            regs.append(Registration(occurrence=occ, person_id=pid, status="confirmed",
                                     division_id=occ.activity.site.division_id,
                                     checked_in_at=occ.start if occ.start < timezone.now() else None))
    Registration.objects.bulk_create(regs, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"database: {connection.vendor}; built {len(occurrences)} occurrences, "
          f"{Registration.objects.count()} registrations, {len(persons)} persons in {time.perf_counter() - t0:.1f} s")

    # Sign-up throughput: each sign-up is one request's work (lock the occurrence, count, insert).
    start = timezone.now() + dt.timedelta(days=2)
    target = services.activity_create(by=admin, title="压测活动", site=sites[0], platform=platform, method=method,
                                      capacity=args.signups // 4, start=start, end=start + dt.timedelta(hours=2))
    occ = target.occurrences.get()
    pool = rng.sample(by_com[coms[0].pk], args.signups)
    half = args.signups // 2
    t = time.perf_counter()
    for pid in pool[:half]:
        services.registration_create(occurrence=occ, person=Person(pk=pid, user_id=None), by=admin)
    seq = half / (time.perf_counter() - t)

    rest = pool[half:]
    chunks = [rest[i::args.threads] for i in range(args.threads)]
    barrier = threading.Barrier(args.threads)
    errors = []

    def work(chunk):
        try:
            barrier.wait()
            for pid in chunk:
                try:
                    services.registration_create(occurrence=occ, person=Person(pk=pid, user_id=None), by=admin)
                except Exception as e:  # reported below
                    errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    par = len(rest) / (time.perf_counter() - t)
    confirmed = Registration.objects.filter(occurrence=occ, status="confirmed").count()
    waiting = Registration.objects.filter(occurrence=occ, status="waitlisted").count()
    print(f"sign-ups: sequential {seq:.0f}/s; {args.threads} threads {par:.0f}/s; "
          f"capacity {occ.capacity}: confirmed {confirmed}, waitlisted {waiting}, errors {len(errors)}")

    def page(user, params):
        client = Client()
        client.force_login(user)
        client.get("/activities/calendar/", params)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = client.get("/activities/calendar/", params)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200
        with CaptureQueriesContext(connection) as q:
            client.get("/activities/calendar/", params)
        return statistics.median(times) * 1000, len(q), len(r.context["cal"]["occurrences"])

    for label, user, params in [
        ("calendar month, whole county (county admin)", admin, {"view": "month"}),
        ("calendar week, whole county", admin, {"view": "week"}),
        ("calendar list (31 days), one site (community staff)", staff, {"view": "list", "site": sites[0].pk}),
        ("occurrence list page (county admin)", admin, None),
    ]:
        if params is None:
            client = Client()
            client.force_login(user)
            client.get("/activities/")
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                client.get("/activities/")
                times.append(time.perf_counter() - t)
            with CaptureQueriesContext(connection) as q:
                client.get("/activities/")
            print(f"{label}: median {statistics.median(times) * 1000:.1f} ms, {len(q)} queries")
            continue
        ms, nq, n = page(user, params)
        print(f"{label}: {n} occurrences, median {ms:.1f} ms, {nq} queries")


if __name__ == "__main__":
    main()
