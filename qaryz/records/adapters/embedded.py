"""Embedded key holders: files in settings.KEY_DIR (never in the data directory).

Each file is created on first use, atomically (so parallel processes agree on one key), with
0600 permissions in a 0700 directory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from qaryz.records import crypto

KEYRING_FILE = "vault-kek.json"
SIGNING_FILE = "mfo-signing-ed25519.pem"


def key_dir() -> Path:
    path = Path(settings.KEY_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_secret_file(path: Path, data: bytes, *, replace: bool) -> bool:
    """Write ``data`` with 0600 perms; with replace=False keep an existing file (returns False)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)  # fails if another process created it first
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


class FileKeyring:
    """KEKs in ``KEY_DIR/vault-kek.json``: {"current": id, "keys": {id: base64 key}}."""

    _lock = threading.Lock()
    _cache: dict[str, tuple[int, dict]] = {}

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or key_dir()) / KEYRING_FILE

    def _load(self) -> dict:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._create()
            stat = self.path.stat()
        cached = self._cache.get(str(self.path))
        if cached and cached[0] == stat.st_mtime_ns:
            return cached[1]
        ring = json.loads(self.path.read_text())
        self._cache[str(self.path)] = (stat.st_mtime_ns, ring)
        return ring

    def _create(self) -> None:
        kek_id = "kek-" + secrets.token_hex(4)
        ring = {"current": kek_id, "keys": {kek_id: base64.b64encode(crypto.new_key()).decode()}}
        write_secret_file(self.path, json.dumps(ring, indent=1).encode(), replace=False)

    def _key(self, kek_id: str) -> bytes:
        try:
            return base64.b64decode(self._load()["keys"][kek_id])
        except KeyError as exc:
            raise crypto.DecryptionError(f"key-encryption key {kek_id} is not in the keyring") from exc

    def current_id(self) -> str:
        return self._load()["current"]

    def wrap(self, dek: bytes) -> tuple[str, bytes]:
        ring = self._load()  # once: a batch of documents wraps hundreds of keys
        kek_id = ring["current"]
        return kek_id, crypto.wrap_key(base64.b64decode(ring["keys"][kek_id]), dek, kek_id)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        return crypto.unwrap_key(self._key(kek_id), bytes(wrapped), kek_id)

    def rewrap(self, kek_id: str, wrapped: bytes) -> tuple[str, bytes]:
        return self.wrap(self.unwrap(kek_id, wrapped))

    def exists(self) -> bool:
        return self.path.exists()

    def rotate(self) -> str:
        with self._lock:
            ring = json.loads(json.dumps(self._load()))
            kek_id = "kek-" + secrets.token_hex(4)
            ring["keys"][kek_id] = base64.b64encode(crypto.new_key()).decode()
            ring["current"] = kek_id
            write_secret_file(self.path, json.dumps(ring, indent=1).encode(), replace=True)
            self._cache.pop(str(self.path), None)
            return kek_id

    def retire(self, keep: set[str]) -> list[str]:
        with self._lock:
            ring = json.loads(json.dumps(self._load()))
            keep = keep | {ring["current"]}
            removed = [k for k in ring["keys"] if k not in keep]
            for kek_id in removed:
                del ring["keys"][kek_id]
            write_secret_file(self.path, json.dumps(ring, indent=1).encode(), replace=True)
            self._cache.pop(str(self.path), None)
            return removed


class FileSigningKey:
    """The MFO's Ed25519 key in ``KEY_DIR/mfo-signing-ed25519.pem`` (PKCS#8)."""

    _cache: dict[str, Ed25519PrivateKey] = {}

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or key_dir()) / SIGNING_FILE

    def private_key(self) -> Ed25519PrivateKey:
        cached = self._cache.get(str(self.path))
        if cached is not None and self.path.exists():
            return cached
        if not self.path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            write_secret_file(self.path, pem, replace=False)
        key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{self.path} is not an Ed25519 private key")
        self._cache[str(self.path)] = key
        return key
