"""The `linli` command: run the demo county, serve, migrate, create an admin, check, print figures.

    linli demo            migrate an SQLite database, build the demo county, print logins, serve
    linli serve           serve with gunicorn (production-grade WSGI server)
    linli migrate         apply database migrations
    linli createadmin     create a superuser (asks for a password, or --password)
    linli check           Django's system checks (add --deploy for production settings)
    linli stats [--json] [--live]  the county's headline figures (rollups; --live from records)
    linli worker          run background-job workers (any number, on any number of machines)
    linli jobs            list the schedule and the recent background jobs
    linli compilemessages compile translations (.po → .mo) without GNU gettext
    linli totp USERNAME   the current two-factor code of a demo login (demo authenticators only)
    linli backup          encrypted backup of the database and media (LINLI_BACKUP_KEY)
    linli restore FILE    restore a backup into an empty database
    linli rotate-field-key  re-encrypt personal fields under a new LINLI_FIELD_KEY, in batches
    linli manage ...      any other Django management command
"""

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()


def compile_messages() -> int:
    """Compile every .po under the package with Babel (pure Python: no gettext needed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    count = 0
    for po in PACKAGE_DIR.rglob("locale/*/LC_MESSAGES/*.po"):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        count += 1
    return count


def _serve(bind: str, workers: int, job_workers: int = 0, threads: int = 4, access_log: bool = True) -> None:
    """gunicorn with `threads` threads a worker (gthread: keep-alive connections, a worker is not
    idle while its request waits on the database; measured in docs/performance.md), and
    `job_workers` job workers beside it (the demo)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    args = [sys.executable, "-m", "gunicorn", "linli.wsgi:application", "--bind", bind,
            "--workers", str(workers), "--timeout", "60"]
    if threads > 1:
        args += ["--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "5"]
    if access_log:
        args += ["--access-logfile", "-"]
    if not job_workers:
        os.execv(sys.executable, args)
    sys.exit(_supervise(args, job_workers))


def _worker_args(*extra) -> list[str]:
    return [sys.executable, "-m", "linli.cli", "manage", "jobs_worker", *extra]


def _supervise(server_args: list[str] | None, job_workers: int) -> int:
    """Run gunicorn (if given) and `job_workers` job workers side by side; when one of them ends or a
    signal comes, stop them all. The workers also stop by themselves if this process dies."""
    children = [subprocess.Popen(_worker_args("--exit-with-parent")) for _ in range(job_workers)]
    server = subprocess.Popen(server_args) if server_args else None
    if server:
        children.append(server)
    stop = {"signal": None}

    def forward(signum, frame):
        stop["signal"] = signum

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    import time

    try:
        while stop["signal"] is None and all(c.poll() is None for c in children):
            time.sleep(0.5)
    finally:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for c in children:
            try:
                c.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                c.kill()
    if stop["signal"] is not None:
        return 0  # asked to stop: children ended by our SIGTERM (even mid start-up) are a clean stop
    return next((c.returncode for c in children if c.returncode), 0) & 0xFF or 1


def cmd_demo(opts):
    os.environ.setdefault("LINLI_HTTPS", "false")  # plain http on 127.0.0.1
    compile_messages()
    _setup()
    from django.core.management import call_command

    from linli.demo import generator

    if opts.reset:
        _erase_database()
    call_command("migrate", interactive=False, verbosity=0)
    if generator.exists():
        print("The demo county is already there (use --reset to rebuild it).")
        logins = None
    else:
        print("Building the demo county …", flush=True)
        if opts.size == "large":
            from linli.demo import large

            logins = large.build()
        else:
            logins = generator.build()
        import time

        from linli.core import rollups

        t = time.monotonic()
        n = generator.run_queued_jobs()
        print(f"{n} queued jobs (deliveries, exports) run in {time.monotonic() - t:.1f} s.")
        t = time.monotonic()
        n = rollups.refresh_all()
        print(f"Figures rolled up for {n} scopes in {time.monotonic() - t:.1f} s.")
    _print_figures()
    _print_logins(logins, opts.bind)
    if not opts.no_serve:
        _serve(opts.bind, opts.workers, opts.job_workers, opts.threads)


def _erase_database():
    """The demo database holds nothing but the demo: erase it whole and migrate again, so the data
    migrations' seeds (care tags, teams, the 365 taxonomy, the service catalogue) come back too."""
    from django.db import connection

    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cur:
            # The schema the database URL points at (`?options=-c search_path=large` keeps a second
            # county beside the first one), public by default.
            cur.execute("SHOW search_path")
            schema = next((s.strip().strip('"') for s in cur.fetchone()[0].split(",")
                           if s.strip() not in ('"$user"', "$user")), "public")
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}";')


def _print_logins(logins, bind):
    from linli.demo.generator import DEMO_PASSWORD

    print(f"\nOpen http://{bind}/ and log in (password for every demo user: {DEMO_PASSWORD}):")
    rows = logins or []
    if not rows:
        from linli.accounts.models import User

        for u in User.objects.filter(username__in=["admin", "county", "staff", "site", "grid", "tutor",
                                                   "volunteer", "resident", "sysadmin", "secadmin",
                                                   "auditor"]).prefetch_related("roles__division"):
            role = next(iter(u.roles.all()), None)
            rows.append(type("L", (), {"username": u.username, "role": role.kind if role else "superuser",
                                       "where": role.division.name if role else "—"}))
    from linli.accounts.demo import demo_device

    for r in rows:
        print(f"  {r.username:<10} {r.role:<16} {r.where}")
        device = demo_device(r.username)
        if device is not None:
            print(f"  {'':<10} two-factor: add {device.config_url}")
    print("Logins with two-factor: scan or paste the otpauth URI into an authenticator app, or run "
          "`linli totp USERNAME` for the current code.")


def cmd_backup(opts):
    _setup()
    from linli.core import backup

    path = backup.backup(opts.output) if opts.output else backup.backup_scheduled()
    print(f"backup written to {path} (encrypted with LINLI_BACKUP_KEY)")


def cmd_restore(opts):
    _setup()
    from django.core.management import call_command

    from linli.core import backup

    call_command("migrate", interactive=False, verbosity=0)
    try:
        count = backup.restore(opts.archive, force=opts.force)
    except backup.BackupError as e:
        sys.exit(f"restore refused: {e}")
    print(f"restored {count} objects from {opts.archive}")


def cmd_rotate_field_key(opts):
    if opts.generate:
        import base64
        import secrets

        print(base64.b64encode(secrets.token_bytes(32)).decode())
        return
    _setup()
    from linli.core import keyrotation

    for model, done in keyrotation.rotate(batch=opts.batch):
        print(f"{model}: {done} re-encrypted", flush=True)
    left = keyrotation.remaining()
    print("remaining under old keys:", left or "none (LINLI_FIELD_KEY_OLD may now be removed)")


def cmd_totp(opts):
    """The current code of a demo login's authenticator (demo devices only: a real user's secret never
    leaves their phone)."""
    _setup()
    from linli.accounts import twofactor
    from linli.accounts.demo import demo_device

    device = demo_device(opts.username)
    if device is None:
        sys.exit(f"{opts.username} has no demo authenticator (only `linli demo` makes them).")
    print(twofactor.current_code(device))


def _print_figures(as_json=False, live=False):
    from linli.core import rollups, stats

    if live:
        data, as_of = stats.figures(), None
    else:
        data, as_of = rollups.figures()
    if as_of is not None:
        print(f"(as of {as_of.isoformat(timespec='seconds')}; --live computes from records)",
              file=sys.stderr if as_json else sys.stdout)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))
        return
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k:<28} {v}")
        else:
            print(f"{key:<30} {value}")


def cmd_stats(opts):
    _setup()
    _print_figures(as_json=opts.json, live=opts.live)


def cmd_serve(opts):
    _setup()
    _serve(opts.bind, opts.workers, opts.job_workers, opts.threads, access_log=not opts.no_access_log)


def cmd_worker(opts):
    if opts.processes > 1:
        sys.exit(_supervise(None, opts.processes))
    _setup()
    from django.core.management import call_command

    call_command("jobs_worker", once=opts.once)


def cmd_jobs(opts):
    _setup()
    from django.core.management import call_command

    call_command("jobs", limit=opts.limit)


def cmd_migrate(opts):
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False)


def cmd_createadmin(opts):
    _setup()
    from django.core.management import call_command

    if opts.password:
        from linli.accounts.models import User

        User.objects.create_superuser(opts.username, password=opts.password)
        print(f"Created superuser {opts.username}")
    else:
        call_command("createsuperuser", username=opts.username, email="")


def cmd_check(opts):
    _setup()
    from django.core.management import call_command

    call_command("check", deploy=opts.deploy, fail_level="WARNING" if opts.deploy else "ERROR")


def cmd_compilemessages(opts):
    print(f"compiled {compile_messages()} catalogues")


def cmd_manage(opts):
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["linli", *opts.rest])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="linli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="build the demo county and serve it")
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--reset", action="store_true", help="erase the database and rebuild the demo county")
    p.add_argument("--no-serve", action="store_true", help="build and print, do not serve")
    p.add_argument("--job-workers", type=int, default=2, help="background-job workers beside gunicorn")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--size", choices=["small", "large"], default="small",
                   help="large: about 300,000 persons and two years of records, on PostgreSQL (benchmarks)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("serve", help="serve with gunicorn")
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--job-workers", type=int, default=0,
                   help="also run this many job workers (production runs `linli worker` on its own)")
    p.add_argument("--threads", type=int, default=4, help="threads a worker (1: gunicorn's sync worker)")
    p.add_argument("--no-access-log", action="store_true", help="no access log line on stdout per request")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("worker", help="run background-job workers")
    p.add_argument("--processes", type=int, default=1, help="worker processes on this machine")
    p.add_argument("--once", action="store_true", help="run what is due, then stop")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("jobs", help="list the schedule and recent background jobs")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=cmd_jobs)
    sub.add_parser("migrate", help="apply migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("createadmin", help="create a superuser")
    p.add_argument("--username", default="admin")
    p.add_argument("--password")
    p.set_defaults(func=cmd_createadmin)
    p = sub.add_parser("check", help="system checks")
    p.add_argument("--deploy", action="store_true")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("stats", help="headline figures computed from records")
    p.add_argument("--json", action="store_true")
    p.add_argument("--live", action="store_true", help="compute from every record instead of the rollups")
    p.set_defaults(func=cmd_stats)
    sub.add_parser("compilemessages", help="compile translations").set_defaults(func=cmd_compilemessages)
    p = sub.add_parser("backup", help="encrypted backup of the database and media files")
    p.add_argument("--output", help="archive path (default: LINLI_BACKUP_DIR/linli-<time>.lbk)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into an empty database")
    p.add_argument("archive")
    p.add_argument("--force", action="store_true", help="replace a database that has accounts")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("rotate-field-key", help="re-encrypt personal fields under the current LINLI_FIELD_KEY")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--generate", action="store_true", help="print a new key and do nothing else")
    p.set_defaults(func=cmd_rotate_field_key)
    p = sub.add_parser("totp", help="current two-factor code of a demo login")
    p.add_argument("username")
    p.set_defaults(func=cmd_totp)
    # The 15-minute service circle (issue 5): `linli coverage import-network|run|site`.
    from linli.coverage.cli import add_parser as add_coverage_parser
    add_coverage_parser(sub, setup=_setup)
    p = sub.add_parser("manage", help="any Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    opts = parser.parse_args(argv)
    opts.func(opts)


if __name__ == "__main__":
    main()
