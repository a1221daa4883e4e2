"""Where the floor goes: `/healthz` with one client, through gunicorn in several configurations and
in-process (issue 11).

    .venv/bin/python benchmarks/floor_bench.py [--db postgres://postgres@127.0.0.1:5432/wt_scale] [-n 500]

Each variant starts `linli serve` on 127.0.0.1:8103, sends N sequential requests from one client
(keep-alive when the server allows it, a new connection per request otherwise: what a browser does),
and prints p50 and p95 in ms. Loopback only, bounded by N.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages_bench import Conn  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PORT = 8103


async def sequential(path, n):
    c, lat = Conn(PORT), []
    for _ in range(n):
        t = time.perf_counter()
        await c.request(path)
        lat.append((time.perf_counter() - t) * 1000)
    c.close()
    lat.sort()
    return statistics.median(lat), lat[int(0.95 * len(lat))]


def serve(env, args):
    log = open("/tmp/floor_bench.log", "w")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/linli"), "serve", "--bind", f"127.0.0.1:{PORT}", *args],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    for _ in range(240):
        try:
            asyncio.run(Conn(PORT).request("/healthz"))
            return proc
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise SystemExit("server did not start (see /tmp/floor_bench.log)")


def in_process(n):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()
    from django.test import Client

    c, lat = Client(), []
    for _ in range(n):
        t = time.perf_counter()
        c.get("/healthz", HTTP_HOST="127.0.0.1")
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(0.95 * len(lat))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/wt_scale")
    ap.add_argument("-n", type=int, default=500)
    a = ap.parse_args()
    base = {**os.environ, "DATABASE_URL": a.db, "LINLI_HTTPS": "false", "ALLOWED_HOSTS": "127.0.0.1"}
    os.environ.update(base)
    variants = [
        ("sync worker, access log, new DB connection per request", {"CONN_MAX_AGE": "0"}, ["--threads", "1"]),
        ("sync worker, access log, persistent DB connection", {}, ["--threads", "1"]),
        ("sync worker, no access log, persistent DB connection", {}, ["--threads", "1", "--no-access-log"]),
        ("gthread 4 threads, keep-alive, access log, persistent (linli serve)", {}, []),
        ("gthread 4 threads, keep-alive, access log, new DB connection", {"CONN_MAX_AGE": "0"}, []),
    ]
    print(f"| /healthz, one client, {a.n} requests | p50 ms | p95 ms |\n|---|---|---|")
    p50, p95 = in_process(a.n)
    print(f"| in-process (Django test client, full middleware) | {p50:.2f} | {p95:.2f} |", flush=True)
    for label, env, args in variants:
        proc = serve({**base, **env}, ["--workers", "2", *args])
        try:
            asyncio.run(sequential("/healthz", 50))  # warm
            p50, p95 = asyncio.run(sequential("/healthz", a.n))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"| {label} | {p50:.2f} | {p95:.2f} |", flush=True)


if __name__ == "__main__":
    main()
