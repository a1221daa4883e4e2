"""The large county for benchmarks: about 300,000 persons in 100,000 households, 30 communities, 300
grids, 40 neighborhood centers, and two years of records (`linli demo --size large`, PostgreSQL only).

Built in two steps, both bulk:
1. the demo county's own generator (`generator.build`) with 30 communities of 10 grids and 350
   households a grid: divisions, sites, rooms, households, persons (ID numbers valid under GB 11643,
   encrypted with the app's key and blind-indexed like the people app does), users, and every app's
   demo extension at that size (activities, volunteers, cases, visits, campaigns, classroom, coverage);
2. a top-up in SQL (`INSERT … SELECT`, no row goes through Python) that clones the demo's own records
   into the past two years until the targets below are met: the clones keep their divisions, so each
   community grows alike, and they stay flagged as demo data where the table has the flag.

Synthetic through and through: nothing here is a real person.
"""

import math
import random
import time

from django.db import connection, transaction

from linli.demo import generator

F = generator.F
# Targets of the top-up (rows in the whole database).
TARGETS = {"registrations": 1_000_000, "cases": 200_000, "visits": 1_000_000, "service_records": 100_000,
           "attendances": 100_000}
HOUSEHOLDS_PER_GRID = 350
GRIDS_PER_COMMUNITY = 10
EXTRA_NAMES = ["城东", "城西", "江滨", "茶乡", "学府", "鹅形", "龙潭", "仙人", "朝阳", "和平", "富康", "文峰",
               "金盆", "平安", "五一", "南河", "双溪", "沿湖", "桥头"]


def communities() -> list:
    """The demo's 11 communities and 19 more around them: 30 communities with 40 centers."""
    out = list(generator.COMMUNITIES)
    for i, name in enumerate(EXTRA_NAMES):
        angle = 2 * math.pi * i / len(EXTRA_NAMES)
        radius = 2.2 + 0.9 * (i % 3)
        town = "黄埠镇" if i % 4 == 3 else "东山镇"
        rooms = [F.CLASSROOM, F.BOOK_BAR, F.CANTEEN, F.LECTURE_HALL][: 2 + i % 3]
        centers = [(f"{name}邻里中心", "party_mass_center" if i % 2 else "residential_compound", 300 + 10 * i,
                    [*rooms, F.NIGHT_TALK])]
        if i < 8:  # 13 centers in the demo's communities + 19 + 8 = 40
            centers.append((f"{name}花园邻里中心", "residential_compound", 260, [F.BOOK_BAR, F.DANCE]))
        out.append((f"{name}社区", town, radius * math.sin(angle), radius * math.cos(angle), centers))
    return out


def build(*, seed: int = 360724, out=print) -> list:
    if connection.vendor != "postgresql":
        raise RuntimeError("the large county is built on PostgreSQL (set DATABASE_URL)")
    t0 = time.monotonic()
    out("Building the large county: 30 communities, 300 grids, ~100,000 households …", flush=True)
    logins = generator.build(seed=seed, community_specs=communities(),
                             grids_per_community=(GRIDS_PER_COMMUNITY, GRIDS_PER_COMMUNITY),
                             households_per_grid=HOUSEHOLDS_PER_GRID)
    out(f"  county, people and every app's demo records: {time.monotonic() - t0:.0f} s", flush=True)
    top_up(rng=random.Random(seed), out=out)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    out(f"Large county built in {time.monotonic() - t0:.0f} s.", flush=True)
    for name, n in counts().items():
        out(f"  {name:<18} {n:>10,}")
    return logins


def counts() -> dict:
    from linli.activities.models import Registration
    from linli.cases.models import Case, CaseEvent
    from linli.classroom.models import Attendance
    from linli.divisions.models import Division
    from linli.grids.models import Visit
    from linli.people.models import Household, Person
    from linli.places.models import Site
    from linli.volunteers.models import ServiceRecord

    return {
        "communities": Division.objects.filter(level=Division.Level.COMMUNITY).count(),
        "grids": Division.objects.filter(level=Division.Level.GRID).count(),
        "centers": Site.objects.filter(is_neighborhood_center=True).count(),
        "households": Household.objects.count(), "persons": Person.objects.count(),
        "registrations": Registration.objects.count(),
        "check-ins": Registration.objects.filter(checked_in_at__isnull=False).count(),
        "cases": Case.objects.count(), "case events": CaseEvent.objects.count(),
        "visits": Visit.objects.count(), "service records": ServiceRecord.objects.count(),
        "attendances": Attendance.objects.count(),
    }


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def _select(model, exprs: dict[str, str], alias: str = "t") -> tuple[str, str]:
    cols = _columns(model)
    return ", ".join(f'"{c}"' for c in cols), ", ".join(exprs.get(c, f'{alias}."{c}"') for c in cols)


def _copies(cur, table: str, where: str, target: int) -> int:
    cur.execute(f"SELECT count(*) FROM {table}")
    have = cur.fetchone()[0]
    cur.execute(f"SELECT count(*) FROM {table} t WHERE {where}")
    templates = cur.fetchone()[0]
    if have >= target or not templates:
        return 0
    return math.ceil((target - have) / templates)


@transaction.atomic
def top_up(*, rng, out=print) -> None:
    from linli.activities.models import Occurrence, Registration
    from linli.cases.models import Case, CaseEvent
    from linli.classroom.models import Attendance
    from linli.grids.models import Visit
    from linli.volunteers.models import ServiceRecord

    with connection.cursor() as cur:
        cur.execute(f"SELECT setseed({rng.random() * 2 - 1})")
        # Activities: the demo's past dates again, 4 to 104 weeks back, with their registrations and
        # check-ins (registrations follow their date; same weekday, same hour).
        t = time.monotonic()
        occ, reg = Occurrence._meta.db_table, Registration._meta.db_table
        past = "t.start < now() AND t.status = 'scheduled'"
        k = min(100, _copies(cur, reg, f"t.occurrence_id IN (SELECT id FROM {occ} t WHERE {past})",
                             TARGETS["registrations"]))
        if k:
            cur.execute(f"CREATE TEMP TABLE occ_map ON COMMIT DROP AS SELECT nextval(pg_get_serial_sequence("
                        f"'{occ}', 'id')) AS new_id, t.id AS src_id, (g * 7) * interval '1 day' AS shift "
                        f"FROM {occ} t CROSS JOIN generate_series(1, {k}) g WHERE {past}")
            cols, sel = _select(Occurrence, {
                "start": "t.start - m.shift", "end": 't."end" - m.shift',
                "signup_opens": "t.signup_opens - m.shift", "signup_closes": "t.signup_closes - m.shift",
                "checkin_token": "md5(random()::text || m.new_id::text)", "is_modified": "false"})
            cur.execute(f"INSERT INTO {occ} (id, {cols}) SELECT m.new_id, {sel} FROM occ_map m "
                        f"JOIN {occ} t ON t.id = m.src_id")
            cols, sel = _select(Registration, {
                "occurrence_id": "m.new_id", "created_at": "t.created_at - m.shift",
                "promoted_at": "t.promoted_at - m.shift", "cancelled_at": "t.cancelled_at - m.shift",
                "checked_in_at": "t.checked_in_at - m.shift"})
            cur.execute(f"INSERT INTO {reg} ({cols}) SELECT {sel} FROM occ_map m JOIN {reg} t "
                        f"ON t.occurrence_id = m.src_id")
        out(f"  registrations and check-ins: {time.monotonic() - t:.0f} s", flush=True)

        # Cases with their whole history: closed cases again, up to two years back.
        t = time.monotonic()
        case, event = Case._meta.db_table, CaseEvent._meta.db_table
        closed = "t.status = 'closed' AND t.duplicate_of_id IS NULL"
        k = _copies(cur, case, closed, TARGETS["cases"])
        if k:
            cur.execute(f"CREATE TEMP TABLE case_map ON COMMIT DROP AS SELECT nextval(pg_get_serial_sequence("
                        f"'{case}', 'id')) AS new_id, t.id AS src_id, "
                        f"(30 + floor(random() * 690)) * interval '1 day' AS shift "
                        f"FROM {case} t CROSS JOIN generate_series(1, {k}) g WHERE {closed}")
            shifted = {c: f"t.{c} - m.shift" for c in ("created_at", "updated_at", "due_at", "closed_at",
                                                      "followed_up_at")}
            cols, sel = _select(Case, {**shifted, "token": "substr(md5(random()::text || m.new_id::text), 1, 24)",
                                       "visit_id": "NULL", "service_record_id": "NULL"})
            cur.execute(f"INSERT INTO {case} (id, {cols}) SELECT m.new_id, {sel} FROM case_map m "
                        f"JOIN {case} t ON t.id = m.src_id")
            cols, sel = _select(CaseEvent, {"case_id": "m.new_id", "at": "t.at - m.shift"})
            cur.execute(f"INSERT INTO {event} ({cols}) SELECT {sel} FROM case_map m JOIN {event} t "
                        f"ON t.case_id = m.src_id")
            _copy_children(cur, "case_map", exclude={event})
        out(f"  cases and their histories: {time.monotonic() - t:.0f} s", flush=True)

        # Visits: each household's visits again, a quarter further back each time.
        t = time.monotonic()
        visit = Visit._meta.db_table
        k = _copies(cur, visit, "TRUE", TARGETS["visits"])
        if k:
            cols, sel = _select(Visit, {"visited_on": "t.visited_on - (g * 91 + floor(random() * 30))::int",
                                        "submission_key": "gen_random_uuid()",
                                        "created_at": "t.created_at - (g * 91) * interval '1 day'"})
            cur.execute(f"INSERT INTO {visit} ({cols}) SELECT {sel} FROM {visit} t CROSS JOIN "
                        f"generate_series(1, {k}) g WHERE t.visited_on - g * 91 > current_date - 730")
        out(f"  visits: {time.monotonic() - t:.0f} s", flush=True)

        # Volunteer service records: confirmed records again, a season back each time.
        t = time.monotonic()
        rec = ServiceRecord._meta.db_table
        ok = "t.status = 'confirmed' AND t.reverses_id IS NULL"
        k = min(7, _copies(cur, rec, ok, TARGETS["service_records"]))  # 7 seasons fit in two years
        if k:
            back = "(g * 91) * interval '1 day'"
            cols, sel = _select(ServiceRecord, {"start": f"t.start - {back}", "end": f't."end" - {back}', "recorded_at": f"t.recorded_at - {back}",
                                                "verified_at": f"t.verified_at - {back}", "signup_id": "NULL",
                                                "reverses_id": "NULL"})
            cur.execute(f"INSERT INTO {rec} ({cols}) SELECT {sel} FROM {rec} t CROSS JOIN generate_series(1, {k}) g "
                        f"WHERE {ok}")
        out(f"  service records: {time.monotonic() - t:.0f} s", flush=True)

        # Classroom attendances: last year's released visits again in the year before, a week apart
        # (as self-study visits: the older sessions are not kept).
        t = time.monotonic()
        att = Attendance._meta.db_table
        ok = "t.released_at IS NOT NULL"
        k = min(8, _copies(cur, att, ok, TARGETS["attendances"]))
        if k:
            back = "(364 + 7 * g) * interval '1 day'"
            cols, sel = _select(Attendance, {"date": "t.date - (364 + 7 * g)", "closes_at": f"t.closes_at - {back}",
                                             "checked_in_at": f"t.checked_in_at - {back}",
                                             "released_at": f"t.released_at - {back}", "session_id": "NULL",
                                             "kind": "'self_study'"})
            cur.execute(f"INSERT INTO {att} ({cols}) SELECT {sel} FROM {att} t CROSS JOIN generate_series(1, {k}) g "
                        f"WHERE {ok}")
        out(f"  classroom attendances: {time.monotonic() - t:.0f} s", flush=True)


def _copy_children(cur, map_table: str, *, exclude: set[str]) -> None:
    """Cases' other children (parties, mediation sessions) cloned with their case, so a copied dispute
    has its parties too."""
    from linli.cases.models import Case

    for rel in Case._meta.related_objects:
        model = rel.related_model
        table = model._meta.db_table
        if table in exclude or not rel.one_to_many or rel.field.column != "case_id" or rel.field.null:
            continue
        cols, sel = _select(model, {"case_id": "m.new_id"})
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {sel} FROM {map_table} m JOIN {table} t "
                    f"ON t.case_id = m.src_id")
