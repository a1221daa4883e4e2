"""The scheduled (incremental) rollup refresh on the large county, after a full one: nothing written,
then one registration saved in one community (decision 0026). Prints sections recomputed and seconds.

    DATABASE_URL='postgres://postgres@127.0.0.1:5432/wt_scale?options=-c%20search_path%3Dlarge' \\
        .venv/bin/python benchmarks/rollups_incremental.py [--full]
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
import django  # noqa: E402

django.setup()

from linli.activities.models import Registration  # noqa: E402
from linli.core import rollups  # noqa: E402
from linli.core.models import RollupMark  # noqa: E402


def timed(label, fn):
    t = time.perf_counter()
    n = fn()
    print(f"{label}: {n} {'scopes' if fn is rollups.refresh_all else 'sections'}, {time.perf_counter() - t:.1f} s")


def main():
    if "--full" in sys.argv:
        timed("refresh_all()", rollups.refresh_all)
    timed("refresh_changed(), first", rollups.refresh_changed)
    timed("refresh_changed(), nothing written", rollups.refresh_changed)
    reg = Registration.objects.filter(division__path__startswith="/1/2/4/").order_by("-pk").first()
    reg.save(update_fields=["reminded_at"])
    print("marks:", sorted(RollupMark.objects.values_list("path", "table")))
    timed("refresh_changed(), one registration written in /1/2/4/", rollups.refresh_changed)


if __name__ == "__main__":
    main()
