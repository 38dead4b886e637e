"""Where vault objects live: the default Django storage (local directory, or S3 through
django-storages when QARYZ_STORAGE=s3). Objects are ciphertext only.

On S3, objects are written with Object Lock retention when the bucket has Object Lock enabled:
retain-until = now + the minimum retention, always earlier than the real retention end
(obligations end + 5 years), and extended when obligations end is known.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

_lock_support: dict[str, bool] = {}


def vault_storage() -> Storage:
    return storages["default"]


def _s3(storage: Storage):
    """The boto3 bucket behind an S3 storage, or None for other backends."""
    return getattr(storage, "bucket", None) if storage.__class__.__name__ == "S3Storage" else None


def object_lock_enabled(storage: Storage | None = None) -> bool:
    storage = storage or vault_storage()
    bucket = _s3(storage)
    if bucket is None:
        return False
    if bucket.name not in _lock_support:
        try:
            conf = bucket.meta.client.get_object_lock_configuration(Bucket=bucket.name)
            _lock_support[bucket.name] = (
                conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            )
        except Exception:  # any refusal means "no Object Lock here"
            _lock_support[bucket.name] = False
    return _lock_support[bucket.name]


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def save_object(name: str, blob: bytes, *, created: datetime) -> str:
    storage = vault_storage()
    bucket = _s3(storage)
    if bucket is not None and object_lock_enabled(storage):
        retain = _years_later(created.astimezone(UTC), int(settings.RECORDS_RETENTION_YEARS))
        bucket.put_object(
            Key=name,
            Body=blob,
            ContentType="application/octet-stream",
            ObjectLockMode=settings.RECORDS_S3_OBJECT_LOCK_MODE,
            ObjectLockRetainUntilDate=retain,
            ChecksumAlgorithm="SHA256",
        )
        return name
    if type(storage) is FileSystemStorage:
        return _save_local(storage, name, blob)
    return storage.save(name, ContentFile(blob))


_made_dirs: set[str] = set()


def _save_local(storage: FileSystemStorage, name: str, blob: bytes) -> str:
    """A local vault object written in one ``open(O_EXCL)`` + write: names are fresh UUIDs, so
    Django's search for a free name (stat calls, a temporary file) is not needed; an existing
    name is an error, never an overwrite."""
    path = storage.path(name)
    folder = os.path.dirname(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    if folder not in _made_dirs:
        os.makedirs(folder, exist_ok=True)
        _made_dirs.add(folder)
    try:
        handle = os.open(path, flags, 0o600)
    except FileNotFoundError:  # the folder was removed since (tests empty the data directory)
        os.makedirs(folder, exist_ok=True)
        handle = os.open(path, flags, 0o600)
    try:
        view = memoryview(blob)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)
    return name


def read_object(name: str) -> bytes:
    storage = vault_storage()
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise
    except OSError as exc:  # S3 "NoSuchKey" and friends
        raise FileNotFoundError(name) from exc
    except Exception as exc:
        if exc.__class__.__name__ in {"ClientError", "NoSuchKey"}:
            raise FileNotFoundError(name) from exc
        raise


def write_raw(name: str, blob: bytes) -> None:
    """Put back an object exactly (restore from backup)."""
    storage = vault_storage()
    bucket = _s3(storage)
    if bucket is not None:
        bucket.upload_fileobj(io.BytesIO(blob), name)
        return
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(blob))
    if saved != name:
        raise RuntimeError(f"storage renamed {name} to {saved}")


def delete_object(name: str) -> None:
    storage = vault_storage()
    bucket = _s3(storage)
    if bucket is not None:
        # Versioned (Object Lock) buckets: delete every version, not just add a delete marker.
        for version in bucket.object_versions.filter(Prefix=name):
            if version.object_key == name:
                version.delete()
        return
    storage.delete(name)


def extend_retention(name: str, until: date) -> None:
    storage = vault_storage()
    bucket = _s3(storage)
    if bucket is None or not object_lock_enabled(storage):
        return
    bucket.meta.client.put_object_retention(
        Bucket=bucket.name,
        Key=name,
        Retention={
            "Mode": settings.RECORDS_S3_OBJECT_LOCK_MODE,
            "RetainUntilDate": datetime.combine(until, time.min, tzinfo=UTC),
        },
    )


VAULT_PREFIX = "vault/"


def list_objects(prefix: str = VAULT_PREFIX) -> Iterator[tuple[str, int, datetime]]:
    """Every object under ``prefix`` as (name, size, last modified in UTC), in no given order."""
    storage = vault_storage()
    bucket = _s3(storage)
    if bucket is not None:
        for summary in bucket.objects.filter(Prefix=prefix):
            yield summary.key, int(summary.size), summary.last_modified.astimezone(UTC)
        return
    if isinstance(storage, FileSystemStorage):  # local directory: one walk, one stat each
        root = storage.path(prefix.rstrip("/"))
        for directory, _dirs, files in os.walk(root):
            for filename in files:
                full = os.path.join(directory, filename)
                try:
                    stat = os.stat(full)
                except FileNotFoundError:  # deleted meanwhile
                    continue
                name = os.path.relpath(full, storage.path("")).replace(os.sep, "/")
                yield name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        return
    yield from _walk(storage, prefix.rstrip("/"))


def _walk(storage: Storage, directory: str) -> Iterator[tuple[str, int, datetime]]:
    """Any other Django storage, through its listing API."""
    try:
        dirs, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for filename in files:
        name = f"{directory}/{filename}"
        yield name, storage.size(name), storage.get_modified_time(name).astimezone(UTC)
    for sub in dirs:
        yield from _walk(storage, f"{directory}/{sub}")


def object_locked_until(name: str) -> datetime | None:
    """The S3 Object Lock retain-until date of an object, if any (None elsewhere)."""
    storage = vault_storage()
    bucket = _s3(storage)
    if bucket is None or not object_lock_enabled(storage):
        return None
    head = bucket.meta.client.head_object(Bucket=bucket.name, Key=name)
    return head.get("ObjectLockRetainUntilDate")
