"""The vault on S3-compatible storage (django-storages), against moto's real HTTP server."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from qaryz.records.services import read_document, set_obligations_end, store_document

pytestmark = pytest.mark.django_db
SECRET = b"%PDF-1.7 loan agreement, IIN 900101300123, amount 250000 KZT - PLAINTEXT-MARKER"


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _use_bucket(settings, endpoint: str, *, object_lock: bool) -> str:
    bucket = f"vault-{secrets.token_hex(4)}"
    _client(endpoint).create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=object_lock)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    return bucket


@pytest.mark.req("R-3P-1", "R-ARCH-1")
def test_s3_objects_are_ciphertext_only(settings, moto_endpoint, client_obj):
    bucket = _use_bucket(settings, moto_endpoint, object_lock=False)
    doc = store_document(
        SECRET, media_type="application/pdf", kind="contract", direction="outbound", owner=client_obj
    )
    stored = _client(moto_endpoint).get_object(Bucket=bucket, Key=doc.storage_name)["Body"].read()
    assert (
        stored
        and b"PLAINTEXT-MARKER" not in stored
        and b"900101300123" not in stored
        and b"%PDF" not in stored
    )
    assert read_document(doc) == SECRET


@pytest.mark.req("R-ARCH-1")
def test_s3_object_lock_retention(settings, moto_endpoint):
    bucket = _use_bucket(settings, moto_endpoint, object_lock=True)
    settings.RECORDS_S3_OBJECT_LOCK_MODE = "GOVERNANCE"
    doc = store_document(
        SECRET,
        media_type="application/pdf",
        kind="contract",
        direction="outbound",
        reference="lending.contract:7",
    )
    s3 = _client(moto_endpoint)
    head = s3.head_object(Bucket=bucket, Key=doc.storage_name)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    retain = head["ObjectLockRetainUntilDate"]
    assert retain.year == datetime.now(UTC).year + 5
    # The locked version cannot be deleted before its retain-until date.
    version = head["VersionId"]
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=doc.storage_name, VersionId=version)
    # Obligations end: the lock is extended to the real retention end.
    set_obligations_end("lending.contract:7", date(2040, 5, 1))
    # (moto's GetObjectRetention answers 500 here; HEAD carries the same value)
    extended = s3.head_object(Bucket=bucket, Key=doc.storage_name)["ObjectLockRetainUntilDate"]
    assert extended.date() == date(2045, 5, 1)
    assert read_document(doc) == SECRET


def _rolled_back_store() -> None:
    from django.db import transaction

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        store_document(SECRET, media_type="application/pdf", kind="contract", direction="outbound")
        raise Rollback


@pytest.mark.req("R-ARCH-1")
def test_s3_orphans_are_swept_with_every_version(settings, moto_endpoint):
    from datetime import timedelta

    from django.utils import timezone

    from qaryz.records.services import sweep_orphan_objects

    bucket = _use_bucket(settings, moto_endpoint, object_lock=False)
    s3 = _client(moto_endpoint)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = store_document(SECRET, media_type="application/pdf", kind="contract", direction="outbound")
    _rolled_back_store()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    (orphan,) = keys - {kept.storage_name}
    assert sweep_orphan_objects().orphans == []  # within the grace period
    later = timezone.now() + timedelta(days=2)
    dry = sweep_orphan_objects(now=later, dry_run=True)
    assert [o["name"] for o in dry.orphans] == [orphan] and dry.deleted == 0
    result = sweep_orphan_objects(now=later)
    assert (result.scanned, result.deleted, result.locked, result.failed) == (2, 1, 0, 0)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=orphan)
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    assert read_document(kept) == SECRET


@pytest.mark.req("R-ARCH-1")
def test_s3_orphans_under_object_lock_are_reported_as_locked(settings, moto_endpoint):
    from datetime import timedelta

    from django.utils import timezone

    from qaryz.records.services import sweep_orphan_objects

    bucket = _use_bucket(settings, moto_endpoint, object_lock=True)
    settings.RECORDS_S3_OBJECT_LOCK_MODE = "GOVERNANCE"
    _rolled_back_store()
    result = sweep_orphan_objects(now=timezone.now() + timedelta(days=2))
    assert (result.deleted, result.locked, result.failed) == (0, 1, 0)
    (orphan,) = result.orphans
    assert orphan["locked_until"].startswith(str(datetime.now(UTC).year + 5))
    assert _client(moto_endpoint).list_objects_v2(Bucket=bucket)["KeyCount"] == 1
