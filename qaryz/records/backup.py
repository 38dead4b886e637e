"""Backup and restore (R-BAK-1): one encrypted archive with the database, the vault objects and
the settings that matter – never the secret keys (see docs/records.md, "Keys").

Database: SQLite through its online backup API (a consistent copy while the platform runs);
PostgreSQL through ``pg_dump -Fc`` / ``pg_restore`` (package postgresql-client), with the
snapshot exported so that the list of vault objects comes from the same moment as the dump.
A ``dumpdata`` fixture is not used: it loses triggers, sequences and the raw audit rows.

Archive: a tar file encrypted in 1 MiB chunks with AES-256-GCM under the backup key
(``KEY_DIR/backup.key``); chunk numbers and a final-chunk flag are authenticated, so a cut or
reordered archive does not decrypt.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sqlite3

# pg_dump / pg_restore run with fixed arguments, no shell.
import subprocess  # nosec B404
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from qaryz.records import crypto, storage
from qaryz.records.adapters.embedded import key_dir, write_secret_file

logger = logging.getLogger("qaryz.records")
MAGIC = b"QBAK1\n"
CHUNK = 1 << 20
BACKUP_KEY_FILE = "backup.key"


class BackupError(Exception):
    pass


# --- the backup key -----------------------------------------------------------------------------
def backup_key(path: Path | None = None) -> bytes:
    path = path or key_dir() / BACKUP_KEY_FILE
    if not path.exists():
        write_secret_file(path, crypto.new_key(), replace=False)
    key = path.read_bytes()
    if len(key) != 32:
        raise BackupError(f"{path} is not a 32-byte key")
    return key


def _encrypt_file(key: bytes, source: Path, target: Path) -> None:
    prefix = os.urandom(8)
    aead = AESGCM(key)
    size = source.stat().st_size
    with source.open("rb") as src, target.open("wb") as dst:
        dst.write(MAGIC + prefix)
        index, done = 0, 0
        while True:
            chunk = src.read(CHUNK)
            done += len(chunk)
            final = done >= size
            nonce = prefix + index.to_bytes(4, "big")
            sealed = aead.encrypt(nonce, chunk, MAGIC + index.to_bytes(8, "big") + (b"F" if final else b"C"))
            dst.write(len(sealed).to_bytes(4, "big") + sealed)
            index += 1
            if final:
                return


def _decrypt_file(key: bytes, source: Path, target: Path) -> None:
    aead = AESGCM(key)
    with source.open("rb") as src, target.open("wb") as dst:
        if src.read(len(MAGIC)) != MAGIC:
            raise BackupError("not a Qaryz backup archive")
        prefix = src.read(8)
        index = 0
        while True:
            header = src.read(4)
            if len(header) < 4:
                raise BackupError("archive is truncated")
            sealed = src.read(int.from_bytes(header, "big"))
            nonce = prefix + index.to_bytes(4, "big")
            for flag in (b"C", b"F"):
                try:
                    plain = aead.decrypt(nonce, sealed, MAGIC + index.to_bytes(8, "big") + flag)
                except Exception:  # noqa: S112 – try the other flag, then give up
                    continue
                break
            else:
                raise BackupError("archive does not decrypt: wrong backup key or damaged file")
            dst.write(plain)
            index += 1
            if flag == b"F":
                if src.read(1):
                    raise BackupError("data after the final chunk")
                return


# --- PostgreSQL tools ------------------------------------------------------------------------------
def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    params = connection.settings_dict
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    args = ["-h", str(params.get("HOST") or "127.0.0.1"), "-p", str(params.get("PORT") or 5432)]
    if params.get("USER"):
        args += ["-U", str(params["USER"])]
    return env, args


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} not found: install the postgresql-client package (listed in scripts/system-packages.txt)"
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _documents_query() -> str:
    return "SELECT storage_name FROM records_storeddocument WHERE purged_at IS NULL ORDER BY storage_name"


@contextmanager
def _pg_snapshot() -> Iterator[str | None]:
    """Export a snapshot so pg_dump and our object listing see the same moment."""
    if connection.in_atomic_block:
        yield None  # already inside a transaction (tests): the dump is still self-consistent
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        yield cursor.fetchone()[0]


# --- backup ---------------------------------------------------------------------------------------
def _settings_snapshot() -> dict[str, Any]:
    from qaryz.records.models import AuditChainHead, StoredDocument
    from qaryz.records.services import keyring, signing_key

    head = AuditChainHead.objects.filter(pk=1).first()
    return {
        "database_vendor": connection.vendor,
        "storage_backend": getattr(settings, "STORAGE_BACKEND", "local"),
        "storage_options": {
            k: v
            for k, v in settings.STORAGES["default"].get("OPTIONS", {}).items()
            if k not in {"access_key", "secret_key"}
        },
        "retention_years": settings.RECORDS_RETENTION_YEARS,
        "mfo_name": settings.MFO_NAME,
        "time_zone": settings.TIME_ZONE,
        "language_code": settings.LANGUAGE_CODE,
        # Which keys a restore will need (ids and the public key only, never the secrets).
        "kek_ids_in_use": sorted(set(StoredDocument.objects.values_list("kek_id", flat=True))),
        "current_kek_id": _current_kek_id(keyring()),
        "kek_backend": getattr(settings, "RECORDS_KEK_BACKEND", "file"),
        "kek_service": (
            {
                "addr": settings.RECORDS_VAULT_ADDR,
                "namespace": settings.RECORDS_VAULT_NAMESPACE,
                "mount": settings.RECORDS_VAULT_TRANSIT_MOUNT,
                "key": settings.RECORDS_VAULT_TRANSIT_KEY,
            }
            if getattr(settings, "RECORDS_KEK_BACKEND", "file") == "vault-transit"
            else None
        ),
        "signing_public_key": crypto.public_key_pem(signing_key().private_key().public_key()),
        "audit_head": {"seq": head.seq, "hash": head.hash} if head else None,
    }


def _current_kek_id(ring: Any) -> str:
    """The current KEK id; a KMS outage must not stop a backup (the archive holds no keys)."""
    from qaryz.records.ports import KeyServiceError

    try:
        return ring.current_id()
    except KeyServiceError as exc:
        logger.warning("backup: key service unavailable, current KEK id not recorded: %s", exc)
        return f"unavailable: {exc}"[:300]


def create_backup(target: Path, *, key_file: Path | None = None) -> dict[str, Any]:
    key = backup_key(key_file)
    with tempfile.TemporaryDirectory(prefix="qaryz-backup-") as tmp:
        work = Path(tmp)
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            if connection.in_atomic_block:
                # SQLite's backup API would wait forever for our own open write transaction.
                raise BackupError("run the backup outside of a database transaction")
            dump = work / "db.sqlite3"
            copy = sqlite3.connect(dump)
            connection.connection.backup(copy)
            names = [row[0] for row in copy.execute(_documents_query())]
            copy.close()
            snapshot_settings = _settings_snapshot()
        elif connection.vendor == "postgresql":
            dump = work / "db.pgdump"
            env, args = _pg_env_and_args()
            with _pg_snapshot() as snapshot:
                command = [_tool("pg_dump"), *args, "-Fc", "--no-owner", "--no-privileges", "-f", str(dump)]
                if snapshot:
                    command += ["--snapshot", snapshot]
                _run([*command, str(connection.settings_dict["NAME"])], env)
                with connection.cursor() as cursor:
                    cursor.execute(_documents_query())
                    names = [row[0] for row in cursor.fetchall()]
                snapshot_settings = _settings_snapshot()
        else:
            raise BackupError(f"backup of {connection.vendor} is not supported")
        manifest = {
            "format": "qaryz-backup-1",
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": connection.vendor, "file": dump.name},
            "vault_objects": len(names),
            "settings": snapshot_settings,
        }
        plain = work / "archive.tar"
        with tarfile.open(plain, "w") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
            tar.add(dump, arcname=f"database/{dump.name}")
            for name in names:
                _add_bytes(tar, f"vault/{name}", storage.read_object(name))
        partial = target.with_name(target.name + ".partial")
        _encrypt_file(key, plain, partial)
        os.replace(partial, target)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


# --- restore --------------------------------------------------------------------------------------
def restore_backup(source: Path, *, key_file: Path | None = None) -> dict[str, Any]:
    """Replace the database and vault objects with the archive's content, then check them."""
    key = backup_key(key_file)
    with tempfile.TemporaryDirectory(prefix="qaryz-restore-") as tmp:
        work = Path(tmp)
        plain = work / "archive.tar"
        _decrypt_file(key, source, plain)
        with tarfile.open(plain, "r") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            manifest = json.loads(_read(tar, members, "manifest.json"))
            vendor = manifest["database"]["vendor"]
            connection.ensure_connection()
            if vendor != connection.vendor:
                raise BackupError(
                    f"archive holds a {vendor} database; this installation uses {connection.vendor}"
                )
            dump = work / manifest["database"]["file"]
            dump.write_bytes(_read(tar, members, f"database/{manifest['database']['file']}"))
            if vendor == "sqlite":
                source_db = sqlite3.connect(dump)
                source_db.backup(connection.connection)
                source_db.close()
            else:
                env, args = _pg_env_and_args()
                name = str(connection.settings_dict["NAME"])
                for conn in connections.all():
                    conn.close()
                _run(
                    [
                        _tool("pg_restore"),
                        *args,
                        "--clean",
                        "--if-exists",
                        "--no-owner",
                        "--no-privileges",
                        "--single-transaction",
                        "-d",
                        name,
                        str(dump),
                    ],
                    env,
                )
            restored = 0
            for member_name in members:
                if member_name.startswith("vault/"):
                    storage.write_raw(member_name.removeprefix("vault/"), _read(tar, members, member_name))
                    restored += 1
    return {"manifest": manifest, "vault_objects": restored, "check": check_restored()}


def _read(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> bytes:
    if name not in members:
        raise BackupError(f"archive lacks {name}")
    handle = tar.extractfile(members[name])
    if handle is None:
        raise BackupError(f"archive member {name} is not a file")
    return handle.read()


def check_restored() -> dict[str, Any]:
    """What a restored copy must pass: the audit chain verifies and every document decrypts."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.selectors import verify_trail
    from qaryz.records.services import DocumentIntegrityError, read_document

    result = verify_trail()
    documents, failed = 0, []
    for doc in StoredDocument.objects.filter(purged_at__isnull=True).iterator(chunk_size=200):
        documents += 1
        try:
            read_document(doc)
        except DocumentIntegrityError as exc:
            failed.append(f"{doc.pk}: {exc}")
    return {
        "audit_ok": result.ok,
        "audit_records": result.checked,
        "audit_break": None if result.ok else f"#{result.first_break.seq}: {result.first_break.reason}",
        "documents": documents,
        "documents_failed": failed,
    }
