"""Keys of the audit chain (ADR 0015), all held outside the database.

- HMAC keys link the chain. ``HOLDTRACK_AUDIT_KEY`` is the current key (new links); ``HOLDTRACK_AUDIT_RETIRED_KEYS``
  (comma-separated) are earlier keys, kept so links made under them still verify. Each link stores the id of
  its key, so a rotation needs no re-hash. Without a setting (embedded mode) the key is generated once into
  ``HOLDTRACK_VAR_DIR/audit-hmac.key``; production refuses to run without the setting.
- An Ed25519 key signs checkpoints: ``HOLDTRACK_AUDIT_SIGNING_KEY`` (a PKCS#8 PEM, or the path of one), else
  generated into ``HOLDTRACK_VAR_DIR/audit-signing-ed25519.pem``. Its public key is all an auditor needs.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HMAC_FILE = "audit-hmac.key"
SIGNING_FILE = "audit-signing-ed25519.pem"


def key_id(secret: bytes) -> str:
    """A short public name of a key: a hash of it, so the id reveals nothing and cannot be chosen."""
    return hashlib.sha256(b"holdtrack-audit-key-id:" + secret).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def _write_once(path: Path, content: bytes) -> bytes:
    """Create ``path`` with ``content`` (mode 0600) unless it exists; return what the file holds.

    Linking a complete temporary file into place is atomic and fails if another process got there first, so two
    processes starting together end up with the same key, never with a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _generated(path: Path, make: Any) -> bytes:
    if path.exists():
        return path.read_bytes()
    if getattr(settings, "HOLDTRACK_PRODUCTION", False):
        raise ImproperlyConfigured(f"{path.name} missing: set the audit key settings in production (docs/security.md)")
    return _write_once(path, make())


@functools.lru_cache(maxsize=8)
def _keyring(current: str, retired: str, var_dir: str) -> Keyring:
    if current:
        secret = current.strip().encode()
    else:
        secret = _generated(Path(var_dir) / HMAC_FILE, lambda: secrets.token_hex(32).encode()).strip()
    keys = {key_id(secret): secret}
    for old in (k.strip() for k in retired.split(",")):
        if old:
            keys.setdefault(key_id(old.encode()), old.encode())
    return Keyring(key_id(secret), keys)


def keyring() -> Keyring:
    return _keyring(
        getattr(settings, "HOLDTRACK_AUDIT_KEY", ""),
        getattr(settings, "HOLDTRACK_AUDIT_RETIRED_KEYS", ""),
        str(settings.VAR_DIR),
    )


# --- checkpoint signing (cryptography is imported here only, so the chain itself never needs it) ---------------


@functools.lru_cache(maxsize=4)
def _signing_pem(configured: str, var_dir: str) -> bytes:
    if configured.strip().startswith("-----BEGIN"):
        return configured.strip().encode()
    if configured:
        return Path(configured).read_bytes()

    def make() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    return _generated(Path(var_dir) / SIGNING_FILE, make)


def signing_key() -> Any:
    """The Ed25519 private key that signs checkpoints."""

    pem = _signing_pem(getattr(settings, "HOLDTRACK_AUDIT_SIGNING_KEY", ""), str(settings.VAR_DIR))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("HOLDTRACK_AUDIT_SIGNING_KEY is not an Ed25519 private key")
    return key


def public_key_pem(private: Any | None = None) -> str:
    key = (private or signing_key()).public_key()
    return str(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def load_public_key(pem: str | bytes) -> Any:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def public_key_id(public: Any) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b16encode(hashlib.sha256(raw).digest()[:8]).decode().lower()
