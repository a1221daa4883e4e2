"""Register import preview: 10,000 rows checked with a handful of bulk queries (linli.grids.imports.read)
against the straightforward alternative measured in the same run — the same workbook parsing, but each
row checked with its own queries (grid by name, person by blind index, their household, the household
at the address).

    .venv/bin/python benchmarks/grids_import_bench.py [--rows 10000] [--registered 20000] [--commit]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/grids_import_bench.py

Uses a throw-away SQLite file unless DATABASE_URL is given (that database is flushed first). The data
are generated here (seeded): a county of 8 communities × 6 grids, `--registered` persons already on the
register, and a workbook whose rows are one quarter already registered (re-import) and three quarters new.
"""

import argparse
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LINLI_DATA_DIR", tempfile.mkdtemp(prefix="linli-bench-"))
os.environ.setdefault("LINLI_HTTPS", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")

RELATIONS = ["户主", "配偶", "子女", "子女", "父母"]


def build_register(rng, registered):
    from linli.accounts.models import Role, User
    from linli.core import crypto, idcard
    from linli.core.masking import mask_id_number
    from linli.divisions.models import Division
    from linli.people.models import Household, Membership, Person

    county = Division.objects.create(name="县", code="BC", level="county")
    grids = []
    for c in range(8):
        com = Division.objects.create(name=f"社区{c}", code=f"BC{c}", level="community", parent=county)
        for g in range(6):
            grids.append(Division.objects.create(name=f"社区{c}第{g + 1}网格", code=f"BC{c}{g}", level="grid", parent=com))
    user = User.objects.create_user("bench", password="x-bench-123")
    Role.objects.create(user=user, kind="county_admin", division=county)
    households, persons, links = [], [], []
    for i in range(registered):
        if i % 3 == 0:
            grid = rng.choice(grids)
            households.append(Household(division=grid, address=f"{grid.name}{i // 3}号"))
        number = idcard.make("360724", dt.date(1950, 1, 1) + dt.timedelta(days=i // 1000), i % 1000)
        persons.append(Person(name=f"居民{i}", division=households[-1].division, id_number_encrypted=crypto.encrypt(number),
                              id_number_index=crypto.blind_index(number), id_number_masked=mask_id_number(number)))
        links.append((len(households) - 1, len(persons) - 1, "head" if i % 3 == 0 else "child", number))
    Household.objects.bulk_create(households, batch_size=1000)
    Person.objects.bulk_create(persons, batch_size=1000)
    if not households[0].pk:
        households = list(Household.objects.order_by("pk"))
        persons = list(Person.objects.order_by("pk"))
    Membership.objects.bulk_create([Membership(household=households[h], person=persons[p], relation=r,
                                               start_date=dt.date(2020, 1, 1)) for h, p, r, _n in links], batch_size=1000)
    return user, grids, [(households[h], persons[p], r, n) for h, p, r, n in links]


def make_workbook(rng, rows, grids, existing) -> bytes:
    from openpyxl import Workbook

    from linli.core import idcard
    from linli.grids.imports import TEMPLATE_HEADERS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("户籍台账")
    ws.append(TEMPLATE_HEADERS)
    again = rng.sample(existing, rows // 4)
    rel = {"head": "户主", "child": "子女"}
    for h, p, r, number in again:  # already on the register, at the same address: unchanged
        ws.append([h.division.name, h.address, p.name, rel[r], number, "", "", "", "", ""])
    grid = grids[0]
    for i in range(rows - len(again)):
        grid = rng.choice(grids) if i % 3 == 0 else grid  # three persons per new household
        born = dt.date(1960, 1, 1) + dt.timedelta(days=i // 900)
        ws.append([grid.name, f"{grid.name}新{i // 3}号", f"新居民{i}", RELATIONS[0] if i % 3 == 0 else rng.choice(RELATIONS[1:]),
                   idcard.make("360725", born, i % 900), "", born.isoformat() if i % 2 else "",
                   f"139{i:08d}", "独居老人" if i % 50 == 0 else "", "2020-03-01"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def naive_preview(data, user):
    """The reference: the same reading, one set of queries per row."""
    from openpyxl import load_workbook

    from linli.core import crypto, idcard
    from linli.divisions.models import Division
    from linli.people.models import Household, Membership, Person
    from linli.people.services import normalize_phone

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    errors = unchanged = new = 0
    for row in ws.iter_rows(min_row=2, values_only=True):
        grid_name, address, name, _rel, number, _sex, _birth, phone, _tags, _start = row
        ok = True
        grid = Division.objects.filter(name=grid_name, level="grid").first()
        try:
            number = idcard.validate(str(number))
            normalize_phone(str(phone or ""))
        except Exception:
            ok = False
        person = Person.objects.filter(id_number_index=crypto.blind_index(number)).first() if ok else None
        if person is not None:
            m = Membership.objects.filter(person=person, end_date__isnull=True).select_related("household").first()
            if m and m.household.address == address and m.household.division_id == grid.pk:
                unchanged += 1
            else:
                errors += 1
            continue
        Household.objects.filter(division=grid, address=address).first()
        if ok and grid is not None:
            new += 1
        else:
            errors += 1
    wb.close()
    return {"unchanged": unchanged, "new": new, "errors": errors}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--registered", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--commit", action="store_true", help="also time the all-or-nothing commit of the file")
    args = ap.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from linli.grids import imports, services

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from linli.people.models import CareTag

    CareTag.objects.create(code="living_alone_elderly", name="独居老人", name_en="Elderly living alone")
    rng = random.Random(6)
    t = time.perf_counter()
    user, grids, existing = build_register(rng, args.registered)
    data = make_workbook(rng, args.rows, grids, existing)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"database: {connection.vendor}; register: {args.registered:,} persons; workbook: {args.rows:,} rows, "
          f"{len(data) / 1e6:.1f} MB (made in {time.perf_counter() - t:.1f} s)")

    def best(fn):
        times, out = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    fast, preview = best(lambda: imports.read(data, user=user))
    s = preview.summary()
    assert preview.ok, preview.errors[:5]
    naive, ref = best(lambda: naive_preview(data, user))
    assert ref["unchanged"] == s["rows_unchanged"] and ref["new"] == s["persons_new"], (ref, s)
    print(f"preview (bulk queries):     {fast:6.2f} s  ({args.rows / fast:,.0f} rows/s) — {s['persons_new']:,} new, "
          f"{s['rows_unchanged']:,} unchanged, {s['households_new']:,} new households")
    print(f"reference (per-row queries): {naive:6.2f} s  ({args.rows / naive:,.0f} rows/s)")
    print(f"ratio: the preview takes {fast / naive:.2f}× the reference's time ({naive / fast:.1f}× faster)")
    if args.commit:
        imp, _ = services.register_import_start(by=user, file_name="bench.xlsx", data=data)
        t0 = time.perf_counter()
        services.register_import_commit(by=user, register_import=imp)
        took = time.perf_counter() - t0
        print(f"commit through people.services (re-check + write, one transaction): {took:6.2f} s "
              f"({s['persons_new'] / took:,.0f} persons/s)")


if __name__ == "__main__":
    main()
