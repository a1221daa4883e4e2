"""EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL of the heavy queries behind the main pages, on the large
county, as markdown for docs/performance.md.

    DATABASE_URL='postgres://postgres@127.0.0.1:5432/wt_scale?options=-c%20search_path%3Dlarge' \\
        .venv/bin/python benchmarks/explain_heavy.py > /tmp/plans.md
"""

import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from linli.accounts.models import User  # noqa: E402


def queries():
    from linli.activities.models import Registration
    from linli.cases.models import Case
    from linli.core import rollups
    from linli.core.models import Rollup
    from linli.divisions.models import Division
    from linli.grids.models import Visit
    from linli.people.models import Household, Person

    staff, county = User.objects.get(username="staff"), User.objects.get(username="county")
    scope = rollups.scope_of(staff)
    yield ("a page's figures: the rollup rows of one scope",
           Rollup.objects.filter(key=rollups._key(scope), section__in=["core", "cases", "activities"]))
    com = Division.objects.get(name="东门社区")
    yield ("the divisions under a grant (scope ids, cached)", Division.objects.filter(path__startswith=com.path)
           .values_list("pk", flat=True))
    yield ("community staff's case inbox, newest first (one page)",
           Case.objects.visible_to(staff).exclude(status=Case.Status.CLOSED).order_by("-created_at")[:50])
    yield ("county: the persons API list (one page)", Person.objects.visible_to(county).order_by("pk")[:50])
    yield ("community staff: the persons API list (one page)", Person.objects.visible_to(staff).order_by("pk")[:50])
    yield ("community staff: registrations API list (one page, by community then id: decision 0026)",
           Registration.objects.visible_to(staff).order_by("division_id", "pk")[:50])
    yield ("community staff: registrations API list, its capped count (decision 0026)",
           Registration.objects.visible_to(staff).order_by("division_id", "pk")[:1001].values("pk"))
    from linli.grids import selectors as grid_selectors

    grid = User.objects.get(username="grid")
    campaign = grid_selectors.running_campaigns(user=grid).order_by("pk").last()
    if campaign is not None:
        paths = list(grid_selectors.my_grids(user=grid).values_list("path", flat=True))
        from linli.core.scoping import path_q

        yield ("grid worker's home: households of their grid still to reach in a campaign (first 20)",
               grid_selectors.campaign_households(campaign=campaign, user=grid).filter(path_q("division__path", paths))
               .filter(~grid_selectors._reached(campaign)).order_by("division__path", "address")[:20])
    from linli.activities import selectors as activity_selectors

    yield ("county: upcoming dates with seats taken, one page (/activities/: the coming dates by the (end, start)"
           " index, registrations counted for the shown rows only)",
           activity_selectors.upcoming(user=county)[:20])
    yield ("county: the persons API list as the lean list reads it (one page of values(), decision 0027)",
           Person.objects.visible_to(county).order_by("pk").values(
               "pk", "name", "sex", "birth_date", "user_id", "division__path", "phone", "id_number_masked",
               "division", "created_at")[:50])
    yield ("county: households on screen, the capped count (page_of: at most 1,001 keys)",
           Household.objects.visible_to(county).order_by()[:1001].values("pk"))
    yield ("a household's latest visit (grids)", Visit.objects.filter(
        household_id=Visit.objects.values_list("household_id", flat=True).first()).order_by("-visited_on")[:1])


def main():
    for title, qs in queries():
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        def short(text):  # long id lists cut to their first ten
            return re.sub(r"((?:\d+, ?){10})(?:\d+, ?)+(\d+)", r"\1…, \2", text)

        sql, plan = short(sql % tuple(repr(p) for p in params)), short(plan)
        print(f"### {title}\n\n```sql\n{sql}\n```\n"
              f"```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
