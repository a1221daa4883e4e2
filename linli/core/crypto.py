"""Field encryption for personal data: AES-256-GCM with a key from the environment (LINLI_FIELD_KEY,
not SECRET_KEY), and a keyed blind index (HMAC-SHA256) for exact lookup and uniqueness.

Rotation (docs/decisions/0018-field-key-rotation.md): ciphertext names its key
("v2:<key id>:…"); the previous keys in LINLI_FIELD_KEY_OLD stay readable, and lookups try the blind
index under each key (`blind_indexes`) until `linli rotate-field-key` has re-encrypted every row."""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"  # the first format: no key id, read by trying each key
VERSION2 = "v2"


@lru_cache(maxsize=4)
def _keys(master_b64: str) -> tuple[bytes, bytes]:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("LINLI_FIELD_KEY must be base64") from exc
    if len(master) != 32:
        raise ImproperlyConfigured("LINLI_FIELD_KEY must decode to 32 bytes")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"linli field encryption v1"), derive(b"linli blind index v1")


def _masters() -> list[str]:
    return [settings.FIELD_KEY, *getattr(settings, "FIELD_KEYS_OLD", [])]


@lru_cache(maxsize=8)
def key_id(master_b64: str) -> str:
    """A short public name of a key (not a secret: a hash of its derived encryption key)."""
    return hashlib.sha256(b"linli key id" + _keys(master_b64)[0]).hexdigest()[:8]


def current_prefix() -> str:
    return f"{VERSION2}:{key_id(settings.FIELD_KEY)}:"


def encrypt(plaintext: str) -> str:
    enc_key, _ = _keys(settings.FIELD_KEY)
    head = current_prefix()
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, plaintext.encode(), head.encode())
    return f"{head}{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    version, _, rest = token.partition(":")
    if version == VERSION2:
        kid, _, body = rest.partition(":")
        master = next((m for m in _masters() if key_id(m) == kid), None)
        if master is None:
            raise ValueError(f"no key {kid!r} in LINLI_FIELD_KEY or LINLI_FIELD_KEY_OLD")
        raw = base64.b64decode(body)
        return AESGCM(_keys(master)[0]).decrypt(raw[:12], raw[12:], f"{VERSION2}:{kid}:".encode()).decode()
    if version != VERSION:
        raise ValueError(f"unknown ciphertext version {version!r}")
    raw = base64.b64decode(rest)
    for master in _masters():
        try:
            return AESGCM(_keys(master)[0]).decrypt(raw[:12], raw[12:], VERSION.encode()).decode()
        except InvalidTag:
            continue
    raise InvalidTag("no configured key opens this value")


def is_current(token: str) -> bool:
    return not token or token.startswith(current_prefix())


def _index(master_b64: str, plaintext: str) -> str:
    return hmac.new(_keys(master_b64)[1], plaintext.encode(), hashlib.sha256).hexdigest()


def blind_index(plaintext: str) -> str:
    """The index under the current key (what is stored)."""
    return _index(settings.FIELD_KEY, plaintext)


def blind_indexes(plaintext: str) -> list[str]:
    """The index under every readable key: what a lookup matches while a rotation runs."""
    return [_index(m, plaintext) for m in _masters()]
