"""`linli coverage …`: import a street network, run coverage, suggest sites; prints the table and writes
GeoJSON/CSV. Registered in linli/cli.py through `add_parser(sub, setup=…)`.

    linli coverage import-network FILE [--crs gcj02] [--division CODE] [--name NAME] [--no-simplify]
    linli coverage run [--division CODE] [--function ROOM_TYPE] [--at "weekday 16:30"] [--speed 4.0]
                       [--thresholds 5,10,15] [--out DIR]
    linli coverage site --k 3 [--run ID] [--candidates sites|nodes|FILE] [--time-limit 30] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path


def add_parser(sub, *, setup) -> None:
    p = sub.add_parser("coverage", help="15-minute service circle: street networks, coverage runs, siting",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cov = p.add_subparsers(dest="coverage_command", required=True)
    q = cov.add_parser("import-network", help="import an OSM (.osm/.osm.pbf) or GeoJSON street network")
    q.add_argument("file")
    q.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84",
                   help="coordinates of a GeoJSON file (gcj02: from Chinese map apps)")
    q.add_argument("--division", help="division code the network covers (default: the county)")
    q.add_argument("--name", default="")
    q.add_argument("--no-simplify", action="store_true", help="keep every degree-2 node")
    q.set_defaults(func=lambda o: (setup(), cmd_import(o)))
    q = cov.add_parser("run", help="walking times from the centers to every household, figures, isochrones")
    q.add_argument("--division", help="division code to measure (default: the county)")
    q.add_argument("--function", help="only sites with a room of this function, e.g. canteen, classroom")
    q.add_argument("--at", help='only sites open then, e.g. "weekday 16:30", "sat 10:00", "2027-01-01 9:00"')
    q.add_argument("--speed", type=float, help="walking speed in km/h (default 4.0, GB 50180-2018)")
    q.add_argument("--thresholds", help="minutes, comma-separated (default 5,10,15)")
    q.add_argument("--network", type=int, help="street network id (default: the latest covering the division)")
    q.add_argument("--out", help="directory for the GeoJSON and CSV files (default DATA_DIR/coverage/run-ID)")
    q.set_defaults(func=lambda o: (setup(), cmd_run(o)))
    q = cov.add_parser("site", help="suggest k new centers (maximal covering, existing centers kept)")
    q.add_argument("--k", type=int, required=True)
    q.add_argument("--run", type=int, help="coverage run id (default: the latest finished county run)")
    q.add_argument("--candidates", default="sites", help='"sites", "nodes" or a CSV (lat,lng,name) / GeoJSON file')
    q.add_argument("--time-limit", type=float, default=30.0, help="seconds for the exact solver")
    q.add_argument("--out", help="directory for the GeoJSON file")
    q.set_defaults(func=lambda o: (setup(), cmd_site(o)))


def _fail(message) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _division(code):
    from linli.coverage.services import _root_division
    from linli.divisions.models import Division

    if not code:
        return _root_division()
    division = Division.objects.filter(code=code).first()
    if division is None:
        _fail(f"no division with code {code}")
    return division


def _messages(exc) -> str:
    return "; ".join(getattr(exc, "messages", [str(exc)]))


def cmd_import(opts) -> None:
    from django.core.exceptions import ValidationError

    from linli.coverage import services

    t0 = time.perf_counter()
    try:
        net = services.network_import(path=opts.file, crs=opts.crs, division=_division(opts.division),
                                      name=opts.name, simplify=not opts.no_simplify)
    except ValidationError as exc:
        _fail(_messages(exc))
    print(f"network {net.pk} “{net.name}”: {net.node_count:,} nodes, {net.edge_count:,} edges, "
          f"{net.length_km:,.1f} km of walkable street, {net.component_count} connected part(s); "
          f"stored as {net.path} ({time.perf_counter() - t0:.1f} s)")
    if net.component_count > 1:
        print("note: households on a part without a center are reported as unreachable")


class _Progress:
    """Print the run's progress to stderr as its steps report it (the work runs in this thread)."""

    def __init__(self, field: str, pk: int | None = None) -> None:
        self.field, self.last = field, -1

    def _step(self, field: str, value: int) -> None:
        if field == self.field and value != self.last and sys.stderr.isatty():
            print(f"\r{value:3d}%", end="", file=sys.stderr, flush=True)
        self.last = value

    def __enter__(self):
        from linli.coverage import services

        self.listening = services.on_step(self._step)
        self.listening.__enter__()
        return self

    def __exit__(self, *exc):
        self.listening.__exit__(*exc)
        if sys.stderr.isatty():
            print("\r", end="", file=sys.stderr, flush=True)


def _pct(v) -> str:
    return "—" if v is None else f"{v * 100:5.1f}%"


def cmd_run(opts) -> None:
    from django.core.exceptions import ValidationError

    from linli.coverage import services
    from linli.coverage.models import CoverageRun, StreetNetwork

    division = _division(opts.division)
    network = StreetNetwork.objects.filter(pk=opts.network).first() if opts.network else None
    if opts.network and network is None:
        _fail(f"no street network {opts.network}")
    thresholds = opts.thresholds.split(",") if opts.thresholds else None  # the service checks them
    t0 = time.perf_counter()
    try:
        with _Progress("progress"):
            run = services.coverage_run(network=network, division=division, function=opts.function, at=opts.at,
                                        speed_kmh=opts.speed, thresholds=thresholds, background=False)
    except ValidationError as exc:
        _fail(_messages(exc))
    if run.status != CoverageRun.Status.FINISHED:
        _fail(f"run {run.pk} failed: {run.error_message}")
    print(f"run {run.pk}: {division.name}, {run.figures['centers_used']} centers"
          + (f", function {run.function}" if run.function else "") + (f", open {run.at_label}" if run.at_label else "")
          + f", {run.speed_kmh:g} km/h, {time.perf_counter() - t0:.1f} s")
    _print_table(run)
    out = Path(opts.out) if opts.out else run.network.path.parent / f"run-{run.pk}"
    write_outputs(run, out)
    print(f"wrote {out}/isochrones.geojson, clusters.geojson, divisions.csv")


def _print_table(run) -> None:
    f = run.figures
    keys = [f"{t:g}" for t in f["thresholds"]]
    head = "".join(f"{'≤' + k + ' min':>10}" for k in keys)
    print(f"{'':<22}{'households':>11}{'residents':>10}{head}{'residents ≤' + keys[-1]:>15}{'unreach.':>9}")
    rows = [("total", f["overall"])] + [(c["name"], c) for c in f["communities"]]
    for name, r in rows:
        shares = "".join(f"{_pct(r['households_share'][k]):>10}" for k in keys)
        print(f"{name:<22}{r['households']:>11,}{r['residents']:>10,}{shares}"
              f"{_pct(r['residents_share'][keys[-1]]):>15}{r['unreachable_households']:>9}")
    if f.get("households_unlocated"):
        print(f"{f['households_unlocated']} household(s) have no location and are not measured")


def write_outputs(run, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "isochrones.geojson").write_text(json.dumps(run.isochrones or {}, ensure_ascii=False), encoding="utf-8")
    clusters = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["lng"], c["lat"]]},
         "properties": {"households": c["households"], "residents": c["residents"]}} for c in run.clusters]}
    (out / "clusters.geojson").write_text(json.dumps(clusters, ensure_ascii=False), encoding="utf-8")
    keys = [f"{t:g}" for t in run.figures["thresholds"]]
    with (out / "divisions.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["level", "id", "name", "households", "residents", "unreachable_households",
                    *[f"households_within_{k}min_share" for k in keys],
                    *[f"residents_within_{k}min_share" for k in keys]])
        rows = [("total", run.division.pk, run.division.name, run.figures["overall"])]
        rows += [("community", c["id"], c["name"], c) for c in run.figures["communities"]]
        rows += [("grid", g["id"], g["name"], g) for g in run.figures["grids"]]
        for level, pk, name, r in rows:
            w.writerow([level, pk, name, r["households"], r["residents"], r["unreachable_households"],
                        *[r["households_share"][k] for k in keys], *[r["residents_share"][k] for k in keys]])


def cmd_site(opts) -> None:
    from django.core.exceptions import ValidationError

    from linli.coverage import selectors, services
    from linli.coverage.models import CoverageRun

    if opts.run:
        run = CoverageRun.objects.filter(pk=opts.run).first()
    else:
        run = selectors.headline_run()
        run = CoverageRun.objects.get(pk=run.pk) if run else None
    if run is None:
        _fail("no finished coverage run; start one with `linli coverage run`")
    try:
        with _Progress("siting_progress", run.pk):
            run = services.coverage_site(run=run, k=opts.k, candidates=opts.candidates,
                                         time_limit_s=opts.time_limit)
    except ValidationError as exc:
        _fail(_messages(exc))
    if run.siting_status != CoverageRun.Status.FINISHED:
        _fail(f"siting failed: {run.siting_error_message}")
    s = run.siting
    gap = "unknown (no bound)" if s["gap"] is None else f"{s['gap']:.4%}"
    print(f"run {run.pk}: k = {s['k']} among {s['candidate_count']} {s['candidates']} candidates, "
          f"{s['threshold_min']:g} min: {s['method']}, status {s['status']}, optimality gap {gap}, {s['seconds']} s")
    print(f"residents newly within {s['threshold_min']:g} min: {s['newly_covered_residents']:,} "
          f"(already {s['already_covered_residents']:,} of {s['residents_total']:,})")
    for i, c in enumerate(s["chosen"], start=1):
        print(f"  {i}. {c['lat']:.6f}, {c['lng']:.6f}  {c['label']}  near {c['community']}")
    out = Path(opts.out) if opts.out else run.network.path.parent / f"run-{run.pk}"
    out.mkdir(parents=True, exist_ok=True)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["lng"], c["lat"]]},
         "properties": {"label": c["label"], "community": c["community"]}} for c in s["chosen"]]}
    (out / "siting.geojson").write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}/siting.geojson")
