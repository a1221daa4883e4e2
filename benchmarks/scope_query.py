"""Scoping cost: `Person.objects.visible_to(user)` (one prefix query on the division path) against
the usual alternative, walking the tree to collect descendant ids and filtering `division_id IN (…)`.

    .venv/bin/python benchmarks/scope_query.py [--communities 200] [--grids 8] [--persons 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/scope_query.py

Uses a throw-away SQLite file unless DATABASE_URL is given (that database is flushed first).
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LINLI_DATA_DIR", tempfile.mkdtemp(prefix="linli-bench-"))
os.environ.setdefault("LINLI_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument("--grids", type=int, default=8)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from linli.accounts.models import Role, User
    from linli.core.scoping import forget_grants
    from linli.divisions.models import Division
    from linli.people.models import Person

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    rng = random.Random(1)
    county = Division.objects.create(name="县", code="BC", level="county")
    grids = []
    for t in range(10):
        town = Division.objects.create(name=f"镇{t}", code=f"B{t}", level="subdistrict", parent=county)
        for c in range(args.communities // 10):
            com = Division.objects.create(name=f"社区{t}-{c}", code=f"B{t}-{c}", level="community", parent=town)
            for g in range(args.grids):
                grids.append(Division.objects.create(name="网格", code=f"B{t}-{c}-{g}", level="grid", parent=com))
    Person.objects.bulk_create([Person(name=f"P{i}", division=rng.choice(grids)) for i in range(args.persons)],
                               batch_size=2000)
    from django.db import connection

    with connection.cursor() as cur:  # fresh statistics, as a live database would have
        cur.execute("ANALYZE")
    town = Division.objects.get(code="B3")
    user = User.objects.create_user("bench")
    Role.objects.create(user=user, kind=Role.Kind.COMMUNITY_STAFF, division=town)

    def scoped():
        forget_grants(user)  # measure the whole cost: grants, division ids, records
        return Person.objects.visible_to(user).count()

    def tree_walk():
        ids, frontier = [town.pk], [town.pk]
        while frontier:
            frontier = list(Division.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids += frontier
        return Person.objects.filter(division_id__in=ids).count()

    assert scoped() == tree_walk()
    times = {}
    for name, fn in (("prefix query (visible_to)", scoped), ("tree walk + IN (reference)", tree_walk)):
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        times[name] = statistics.median(samples)
    print(f"database: {connection.vendor}; divisions: {Division.objects.count()}; persons: {args.persons}; "
          f"persons under the town: {scoped()}")
    for name, t in times.items():
        print(f"  {name:<28} median {t * 1000:8.2f} ms")
    ref = times["tree walk + IN (reference)"]
    print(f"  ratio reference / prefix query: {ref / times['prefix query (visible_to)']:.2f}x")


if __name__ == "__main__":
    main()
