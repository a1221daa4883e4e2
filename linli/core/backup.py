"""Backups: every table (Django's serialisation of every model, so one format for SQLite and
PostgreSQL) and the uploaded files, in one archive encrypted with LINLI_BACKUP_KEY (its own key, not
the field key: a stolen backup without that key is noise). `linli backup` / `linli restore`;
`backup_scheduled()` is what the job schedule runs nightly (docs/deployment.md).

Archive: b"LINLIBK1", then chunks of [4-byte length][12-byte nonce][AES-256-GCM ciphertext], each
authenticated with its index and whether it is the last, so a cut or reordered file is refused."""

from __future__ import annotations

import base64
import io
import os
import struct
import tarfile
import tempfile
from pathlib import Path

from auditlog.context import disable_auditlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from linli.core import rollups

MAGIC = b"LINLIBK1"
CHUNK = 1 << 20


class BackupError(Exception):
    pass


def _key() -> bytes:
    key = base64.b64decode(settings.LINLI_BACKUP_KEY)
    if len(key) != 32:
        raise ImproperlyConfigured("LINLI_BACKUP_KEY must decode to 32 bytes")
    return key


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">Q?", index, last)


def encrypt_file(src, dst) -> None:
    aes = AESGCM(_key())
    dst.write(MAGIC)
    index, block = 0, src.read(CHUNK)
    while True:
        following = src.read(CHUNK)
        last = not following
        nonce = os.urandom(12)
        sealed = aes.encrypt(nonce, block, _aad(index, last))
        dst.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        if last:
            return
        index, block = index + 1, following


def decrypt_file(src, dst) -> None:
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a Linli backup")
    aes = AESGCM(_key())
    index, header = 0, src.read(4)
    while header:
        (size,) = struct.unpack(">I", header)
        nonce, sealed = src.read(12), src.read(size)
        following = src.read(4)
        try:
            dst.write(aes.decrypt(nonce, sealed, _aad(index, not following)))
        except InvalidTag:
            raise BackupError("wrong LINLI_BACKUP_KEY, or the backup is damaged or cut short") from None
        index, header = index + 1, following
    if index == 0:
        raise BackupError("empty backup")


def _work_dir() -> Path:
    path = Path(settings.DATA_DIR) / "tmp"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def backup(output: Path | str) -> Path:
    """Write an encrypted archive of every table and the media files to `output` (mode 0600)."""
    output = Path(output)
    with tempfile.TemporaryDirectory(dir=_work_dir()) as tmp:
        data = Path(tmp) / "data.linlijson"
        # One consistent view of the database while it is read (a repeatable-read snapshot on PostgreSQL).
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            call_command("dumpdata", format="linlijson", output=str(data), indent=None, verbosity=0)
        plain = Path(tmp) / "backup.tar"
        with tarfile.open(plain, "w") as tar:
            tar.add(data, arcname="data.linlijson")
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                tar.add(media, arcname="media")
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with plain.open("rb") as src, os.fdopen(fd, "wb") as dst:
            encrypt_file(src, dst)
    return output


def _database_is_empty() -> bool:
    from django.contrib.auth import get_user_model

    return not get_user_model().objects.exists()


def restore(archive: Path | str, *, force: bool = False) -> int:
    """Replace the database's rows and the media files with the archive's. Refuses a database that
    has accounts unless `force`. Returns the number of objects loaded."""
    if not force and not _database_is_empty():
        raise BackupError("the database is not empty (it has accounts): restore into an empty one, or force")
    with tempfile.TemporaryDirectory(dir=_work_dir()) as tmp:
        plain = Path(tmp) / "backup.tar"
        with Path(archive).open("rb") as src, plain.open("wb") as dst:
            decrypt_file(src, dst)
        with tarfile.open(plain) as tar:
            tar.extractall(tmp, filter="data")
        with transaction.atomic():
            # The migrations' seed rows (content types, permissions, reference data) are in the dump
            # with their ids: empty every table first, without re-seeding.
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            out = io.StringIO()
            # Loading is not a change to audit, and must not set off the signals that end sessions.
            with disable_auditlog(), rollups.marks_paused():
                call_command("loaddata", str(Path(tmp) / "data.linlijson"), verbosity=1, stdout=out)
        media = Path(tmp) / "media"
        if media.exists():
            target = Path(settings.MEDIA_ROOT)
            for path in sorted(media.rglob("*")):
                dest = target / path.relative_to(media)
                if path.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(path.read_bytes())
    words = out.getvalue().split()
    return int(words[1]) if len(words) > 1 and words[1].isdigit() else 0


def backup_scheduled() -> Path:
    """The nightly backup (called by the job schedule): LINLI_BACKUP_DIR/linli-YYYYmmdd-HHMMSS.lbk,
    keeping the newest LINLI_BACKUP_KEEP archives."""
    folder = Path(settings.LINLI_BACKUP_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = backup(folder / f"linli-{timezone.localtime():%Y%m%d-%H%M%S}.lbk")
    archives = sorted(folder.glob("linli-*.lbk"))
    for old in archives[:-settings.LINLI_BACKUP_KEEP]:
        old.unlink()
    return path


def backup_nightly() -> str:
    """The schedule's task: `backup_scheduled()`, its archive's path as the job's (JSON) result."""
    return str(backup_scheduled())
