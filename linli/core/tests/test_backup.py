"""Backups restore exactly: the demo county backed up, the database emptied, the archive restored,
and every table compared row for row; the archive is useless without its key and refused if cut."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from linli.core import backup

pytestmark = pytest.mark.django_db(transaction=True)


def _seeded():
    """Transactional tests before this one flush what the data migrations seeded (the taxonomy, teams,
    care tags, the service catalogue): seed it again, so the demo county builds as it does for real."""
    import importlib

    from django.apps import apps

    from linli.activities.testing import seed_reference_data
    from linli.cases.models import ServiceItem
    from linli.people.models import CareTag

    seed_reference_data()
    for model, module in ((CareTag, "linli.people.migrations.0002_seed_care_tags"),
                          (ServiceItem, "linli.cases.migrations.0002_seed_catalogue")):
        if not model.objects.exists():
            importlib.import_module(module).seed(apps, None)


def _tables() -> dict:
    out = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        if model._meta.auto_created:
            # A many-to-many link table: its surrogate id is not data (the serialisation carries the
            # links on their owner), so its rows are compared as the set of links.
            fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
            out[model._meta.db_table] = sorted(model._base_manager.values_list(*fields))
        else:
            out[model._meta.db_table] = list(model._base_manager.order_by("pk").values_list())
    return out


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "cases" / "2026").mkdir(parents=True)
    (settings.MEDIA_ROOT / "cases" / "2026" / "photo.jpg").write_bytes(b"\xff\xd8 a photo \xff\xd9")
    return settings.MEDIA_ROOT


def test_a_backup_of_the_demo_restores_every_table_row_for_row(tmp_path, media):
    from linli.demo import generator

    _seeded()
    generator.build(households_per_grid=4)
    before = _tables()
    assert sum(len(rows) for rows in before.values()) > 1000
    archive = backup.backup(tmp_path / "demo.lbk")
    assert b"linli-demo-2026" not in archive.read_bytes() and b"\xe4\xb8\x8a\xe7\x8a\xb9" not in archive.read_bytes()

    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    (media / "cases" / "2026" / "photo.jpg").unlink()
    assert all(not rows for rows in _tables().values())

    backup.restore(archive)
    after = _tables()
    assert after.keys() == before.keys()
    for table, rows in before.items():
        diff = next(((a, b) for a, b in zip(after[table], rows, strict=False) if a != b), None)
        assert after[table] == rows, (table, len(after[table]), len(rows), diff and [(i, repr(x)[:200], repr(y)[:200]) for i, (x, y) in enumerate(zip(*diff, strict=True)) if x != y])
    assert (media / "cases" / "2026" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo \xff\xd9"


def test_restore_refuses_a_database_with_accounts(tmp_path, make_user):
    archive = backup.backup(tmp_path / "one.lbk")
    make_user()
    with pytest.raises(backup.BackupError):
        backup.restore(archive)


def test_the_archive_needs_its_own_key_and_refuses_a_cut(tmp_path, settings, make_user):
    make_user()
    archive = backup.backup(tmp_path / "one.lbk")
    data = archive.read_bytes()
    with pytest.raises(backup.BackupError):
        backup.decrypt_file(io.BytesIO(data[:-20]), io.BytesIO())
    settings.LINLI_BACKUP_KEY = "A" * 43 + "="
    with pytest.raises(backup.BackupError):
        backup.decrypt_file(io.BytesIO(data), io.BytesIO())


def test_the_scheduled_backup_keeps_the_newest(tmp_path, settings, make_user):
    settings.LINLI_BACKUP_DIR = str(tmp_path / "nightly")
    settings.LINLI_BACKUP_KEEP = 2
    make_user()
    (tmp_path / "nightly").mkdir()
    for stamp in ("20260101-010000", "20260102-010000"):
        (tmp_path / "nightly" / f"linli-{stamp}.lbk").write_bytes(b"old")
    path = backup.backup_scheduled()
    kept = sorted(p.name for p in (tmp_path / "nightly").iterdir())
    assert kept == ["linli-20260102-010000.lbk", path.name]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_the_nightly_backup_is_on_the_schedule_and_answers_its_path(tmp_path, settings, make_user):
    from django.conf import settings as live

    settings.LINLI_BACKUP_DIR = str(tmp_path / "nightly")
    make_user()
    assert live.LINLI_SCHEDULE["backup"]["task"] == "linli.core.backup.backup_nightly"
    path = backup.backup_nightly()
    assert isinstance(path, str) and path.endswith(".lbk") and (tmp_path / "nightly").exists()
