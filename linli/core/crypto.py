"""Field encryption for personal data: AES-256-GCM with a key from the environment (LINLI_FIELD_KEY,
not SECRET_KEY), and a keyed blind index (HMAC-SHA256) for exact lookup and uniqueness."""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"


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


def encrypt(plaintext: str) -> str:
    enc_key, _ = _keys(settings.FIELD_KEY)
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, plaintext.encode(), VERSION.encode())
    return f"{VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    version, _, body = token.partition(":")
    if version != VERSION:
        raise ValueError(f"unknown ciphertext version {version!r}")
    enc_key, _ = _keys(settings.FIELD_KEY)
    raw = base64.b64decode(body)
    return AESGCM(enc_key).decrypt(raw[:12], raw[12:], VERSION.encode()).decode()


def blind_index(plaintext: str) -> str:
    _, index_key = _keys(settings.FIELD_KEY)
    return hmac.new(index_key, plaintext.encode(), hashlib.sha256).hexdigest()
