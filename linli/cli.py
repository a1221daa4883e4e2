"""The `linli` command: run the demo county, serve, migrate, create an admin, check, print figures.

    linli demo            migrate an SQLite database, build the demo county, print logins, serve
    linli serve           serve with gunicorn (production-grade WSGI server)
    linli migrate         apply database migrations
    linli createadmin     create a superuser (asks for a password, or --password)
    linli check           Django's system checks (add --deploy for production settings)
    linli stats [--json]  the county's headline figures, computed from records
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


def _serve(bind: str, workers: int) -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    args = [sys.executable, "-m", "gunicorn", "linli.wsgi:application", "--bind", bind,
            "--workers", str(workers), "--access-logfile", "-", "--timeout", "60"]
    os.execv(sys.executable, args)


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
        logins = generator.build()
    _print_figures()
    _print_logins(logins, opts.bind)
    if not opts.no_serve:
        _serve(opts.bind, opts.workers)


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
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")


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


def _print_figures(as_json=False):
    from linli.core import stats

    data = stats.figures()
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
    _print_figures(as_json=opts.json)


def cmd_serve(opts):
    _setup()
    _serve(opts.bind, opts.workers)


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
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("serve", help="serve with gunicorn")
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)
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
