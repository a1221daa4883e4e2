"""Every role's main pages and the main API lists under 16 concurrent clients, on the large county and
on the small demo, against a bare Django view (issue 11).

    # once: the two counties, side by side in one PostgreSQL database (two schemas)
    psql -h 127.0.0.1 -U postgres wt_scale -c 'CREATE SCHEMA IF NOT EXISTS large; CREATE SCHEMA IF NOT EXISTS small'
    DATABASE_URL='postgres://postgres@127.0.0.1:5432/wt_scale?options=-c%20search_path%3Dlarge' \\
        .venv/bin/linli demo --reset --no-serve --size large
    DATABASE_URL='postgres://postgres@127.0.0.1:5432/wt_scale?options=-c%20search_path%3Dsmall' \\
        .venv/bin/linli demo --reset --no-serve
    # then
    .venv/bin/python benchmarks/pages_bench.py --seconds 3 --workers 2

Starts the real server (`linli serve`: gunicorn, production settings, PostgreSQL, Redis as the cache)
for both counties (ports 8103 and 8113 unless `--ports`, 127.0.0.1 only), logs in as each demo role, and
for each (role, page) runs CLIENTS concurrent keep-alive clients for SECONDS (at most MAX requests) on
the large county, then on the small one; the bare view is driven again on both before each role's
pages, and a page's "x bare" divides by the one measured just before it on the same county, so drift in
the machine's load during a run shows in neither ratio (`--sequential`: one county after the other and
one bare view each, as the runs before 3 December's fourth shift). Prints p50, p95, p99 (ms),
requests/s, the page's query count (a header the server adds only with LINLI_BENCHMARK on), p95 over the
bare view's p95, and the large county's p50 over the small demo's. Loopback only; bounded in time and
count. The standard library only (asyncio streams), so nothing to install.
"""

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "postgres://postgres@127.0.0.1:5432/wt_scale?options=-c%20search_path%3D{schema}"
PASSWORD = "linli-demo-2026"
DB_NOW = ""  # the county being measured (for `linli totp`)
API = ["/api/persons/", "/api/households/", "/api/cases/", "/api/activities/", "/api/registrations/",
       "/api/visits/", "/api/service-records/", "/api/classroom/attendances/"]
PAGES = {
    "county": ["/", "/cases/figures/", "/classroom/", "/activities/", "/cases/", "/cases/inbox/",
               "/people/households/", "/grids/", "/volunteers/", "/places/sites/", "/coverage/",
               "/map/data.json", *API],
    "staff": ["/", "/activities/", "/cases/inbox/", "/people/households/", "/grids/", "/classroom/"],
    "site": ["/", "/places/sites/", "/activities/", "/cases/"],
    "grid": ["/", "/grids/", "/people/households/", "/cases/"],
    "tutor": ["/", "/classroom/", "/activities/", "/volunteers/"],
    "volunteer": ["/", "/activities/", "/volunteers/", "/cases/"],
    "resident": ["/", "/activities/", "/cases/", "/places/sites/"],
}
BARE = ("county", "/bench/bare/")


# A small HTTP/1.1 client: keep-alive, Content-Length or chunked bodies ------------------------------

class Conn:
    def __init__(self, port):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, path, cookie="", method="GET", body=b"", headers=None):
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept-Language: zh-hans",
                    "Connection: keep-alive"]
            if cookie:
                head.append(f"Cookie: {cookie}")
            for k, v in (headers or {}).items():
                head.append(f"{k}: {v}")
            if body:
                head.append(f"Content-Length: {len(body)}")
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    async def _response(self):
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"][0]))
        elif headers.get("transfer-encoding", [""])[0].lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                body += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", [""])[0].lower() == "close":
            self.close()
        return status, headers, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def login(port, username):
    c = Conn(port)
    status, headers, body = await c.request("/accounts/login/")
    cookies = dict(h.split(";")[0].split("=", 1) for h in headers.get("set-cookie", []))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    status, headers, _ = await c.request(
        "/accounts/login/", cookie="; ".join(f"{k}={v}" for k, v in cookies.items()), method="POST",
        body=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "Referer": f"http://127.0.0.1:{port}/accounts/login/"})
    cookies.update(dict(h.split(";")[0].split("=", 1) for h in headers.get("set-cookie", [])))
    if status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login as {username} failed ({status})")
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, headers, _ = await c.request("/", cookie=jar)
    if "/accounts/2fa/" in headers.get("location", [""])[0]:
        # The second factor (roles that see full personal data): the demo authenticator's current code.
        status, headers, body = await c.request("/accounts/2fa/", cookie=jar)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        code = subprocess.run([str(ROOT / ".venv/bin/linli"), "totp", username], env={**os.environ, "DATABASE_URL": DB_NOW},
                              capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
        form = urllib.parse.urlencode({"code": code, "next": "/", "csrfmiddlewaretoken": token})
        status, headers, _ = await c.request(
            "/accounts/2fa/", cookie=jar, method="POST", body=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"http://127.0.0.1:{port}/accounts/2fa/"})
        cookies.update(dict(h.split(";")[0].split("=", 1) for h in headers.get("set-cookie", [])))
        if status != 302 or "/accounts/2fa/" in headers.get("location", [""])[0]:
            raise SystemExit(f"second factor for {username} failed ({status})")
    c.close()
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def drive(port, path, cookie, *, clients, seconds, max_requests):
    """CLIENTS connections hit `path` until SECONDS pass or MAX requests are done."""
    warm = Conn(port)
    status, headers, body = await warm.request(path, cookie)
    warm.close()
    queries = headers.get("x-linli-queries", ["?"])[0]
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal errors
        c = Conn(port)
        while time.perf_counter() < deadline and len(latencies) < max_requests:
            t = time.perf_counter()
            s, _, _ = await c.request(path, cookie)
            latencies.append((time.perf_counter() - t) * 1000)
            errors += s >= 400
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(clients)])
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {"status": status, "n": len(latencies), "p50": statistics.median(latencies), "p95": pct(95),
            "p99": pct(99), "rps": len(latencies) / wall, "queries": queries, "errors": errors,
            "bytes": len(body)}


def start_server(*, schema, port, workers, threads, redis, extra, log_dir):
    env = {**os.environ, "DATABASE_URL": DB.format(schema=schema), "LINLI_CACHE_URL": redis,
           "LINLI_CACHE_PREFIX": f"bench-{schema}", "LINLI_HTTPS": "false", "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1", "LINLI_BENCHMARK": "true", **extra}
    log_path = Path(log_dir) / f"server_{schema}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/linli"), "serve", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--threads", str(threads), "--no-access-log"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=ROOT)
    for _ in range(120):
        try:
            asyncio.run(Conn(port).request("/healthz"))
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"server on {port} did not start (see {log_path})")


async def measure(port, args):
    cookies = {role: await login(port, role) for role in PAGES}
    out = {}
    plan = [BARE, ("anonymous", "/healthz")] + [(r, p) for r, pages in PAGES.items() for p in pages]
    if args.only:
        plan = [x for x in plan if x == BARE or x[1] in args.only]
    for role, path in plan:
        out[(role, path)] = await drive(port, path, cookies.get(role, ""), clients=args.clients,
                                        seconds=args.seconds, max_requests=args.max)
        print(f"  {role:<10} {path:<32} p50 {out[(role, path)]['p50']:7.1f} ms  "
              f"q {out[(role, path)]['queries']}", file=sys.stderr, flush=True)
    return out


async def measure_interleaved(ports: dict, args):
    """Both counties' servers up at once; each page is driven on the large county and straight after on
    the small one, and the bare view again before each role's pages on both: the ratios then divide
    figures taken a few seconds apart, not minutes apart under whatever else the machine did between."""
    global DB_NOW
    cookies = {}
    for schema, port in ports.items():
        DB_NOW = DB.format(schema=schema)
        cookies[schema] = {role: await login(port, role) for role in PAGES}
    out = {schema: {} for schema in ports}
    bare_ref = {schema: {} for schema in ports}
    bares = {schema: [] for schema in ports}
    plan = [("anonymous", "/healthz")] + [(r, p) for r, pages in PAGES.items() for p in pages]
    if args.only:
        plan = [x for x in plan if x[1] in args.only]
    role_seen = None
    for role, path in [BARE, *plan]:
        if (role, path) != BARE and role != role_seen:  # a fresh floor before each role's pages
            role_seen = role
            for schema, port in ports.items():
                r = await drive(port, BARE[1], cookies[schema].get(BARE[0], ""), clients=args.clients,
                                seconds=args.seconds, max_requests=args.max)
                bares[schema].append(r["p95"])
        for schema, port in ports.items():
            r = await drive(port, path, cookies[schema].get(role, ""), clients=args.clients,
                            seconds=args.seconds, max_requests=args.max)
            out[schema][(role, path)] = r
            bare_ref[schema][(role, path)] = bares[schema][-1] if bares[schema] else r["p95"]
            if (role, path) == BARE:
                bares[schema].append(r["p95"])
            print(f"  {schema:<6} {role:<10} {path:<32} p50 {r['p50']:7.1f} ms  q {r['queries']}",
                  file=sys.stderr, flush=True)
    return out, bare_ref, bares


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="threads a worker (linli serve's default)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--max", type=int, default=2000, help="at most this many requests per page")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    ap.add_argument("--counties", default="large,small")
    ap.add_argument("--only", nargs="*", help="only these paths (exact)")
    ap.add_argument("--env", nargs="*", default=[], help="extra KEY=VALUE for the server")
    ap.add_argument("--ports", default="8103,8113", help="the large and the small county's server ports")
    ap.add_argument("--sequential", action="store_true",
                    help="one county after the other with one bare view each (the earlier runs' way); by "
                         "default both servers run and each page is driven on both in turn")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `timeout` still stops the servers
    extra = dict(e.split("=", 1) for e in args.env)
    results = {}
    # the servers' logs go under this run's own directory, not a fixed name in /tmp another run overwrites
    log_dir = tempfile.mkdtemp(prefix="pages_bench_")
    print(f"server logs in {log_dir}", file=sys.stderr, flush=True)
    global DB_NOW
    ports = {schema: int(port) for schema, port in zip(("large", "small"), args.ports.split(","), strict=True)
             if schema in args.counties.split(",")}
    bare_ref = None
    if not args.sequential:
        procs = []
        try:
            for schema, port in ports.items():
                print(f"{schema} county on 127.0.0.1:{port}, {args.workers} workers …", file=sys.stderr, flush=True)
                procs.append(start_server(schema=schema, port=port, workers=args.workers, threads=args.threads,
                                          redis=args.redis, extra=extra, log_dir=log_dir))
            results, bare_ref, bares = asyncio.run(measure_interleaved(ports, args))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
        print("\nbare view p95 before each role, ms: " + "; ".join(
            f"{schema} " + " ".join(f"{b:.0f}" for b in values) for schema, values in bares.items()))
    for schema, port in ports.items() if args.sequential else ():
        DB_NOW = DB.format(schema=schema)
        print(f"{schema} county on 127.0.0.1:{port}, {args.workers} workers …", file=sys.stderr, flush=True)
        proc = start_server(schema=schema, port=port, workers=args.workers, threads=args.threads,
                            redis=args.redis, extra=extra, log_dir=log_dir)
        try:
            results[schema] = asyncio.run(measure(port, args))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    first = next(iter(results.values()))
    print(f"\n{args.clients} clients, {args.seconds:g} s per page (at most {args.max} requests), "
          f"{args.workers} workers × {args.threads} threads; ms. x bare = p95 / bare view's p95 (target 5, API 2"
          + ("" if args.sequential else "; the bare view measured on the same county just before the role's pages")
          + "); L/S = large p50 / small p50 (target 1.5)\n")
    head = "| role | page | " + " | ".join(f"{s} p50 | {s} p95 | {s} p99 | {s} req/s | {s} queries"
                                            for s in results) + " | x bare | L/S |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    misses = []
    for key in first:
        cells = []
        for s in results:
            r = results[s].get(key)
            cells.append(f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['rps']:.0f} | {r['queries']}"
                         + (f" ({r['errors']} err)" if r["errors"] else "") if r else "— | — | — | — | —")
        main_s = "large" if "large" in results else next(iter(results))
        bare = results[main_s][BARE]["p95"] if bare_ref is None else bare_ref[main_s][key]
        r = results[main_s][key]
        xbare = r["p95"] / bare
        ls = (results["large"][key]["p50"] / results["small"][key]["p50"]
              if "large" in results and "small" in results else None)
        target = 2 if key[1].startswith("/api/") else 5
        miss = key != BARE and (xbare > target or (ls is not None and ls > 1.5))
        if miss:
            misses.append(key)
        print(f"| {key[0]} | `{key[1]}` | " + " | ".join(cells) + f" | {xbare:.1f} | "
              + (f"{ls:.2f}" if ls is not None else "—") + (" ✗" if miss else "") + " |")
    print(f"\n{len(first) - 1 - len(misses)} of {len(first) - 1} pages meet both targets.")


if __name__ == "__main__":
    main()
