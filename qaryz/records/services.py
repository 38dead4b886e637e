"""The only writers of the records room: audit trail, vault, retention, checkpoints, receipts.

Other rooms call ``record_event`` for every meaningful change and ``store_document`` /
``read_document`` for every document exchanged with a client (see HELPERS "Interfaces").
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from qaryz.core.bulk import insert_values
from qaryz.core.request_context import get_request_id
from qaryz.records import chain, crypto, storage
from qaryz.records.adapters.embedded import FileKeyring, FileSigningKey
from qaryz.records.context import current_actor, current_request
from qaryz.records.models import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    FieldKey,
    Receipt,
    StoredDocument,
)
from qaryz.records.ports import KeyEncryptionPort, SigningKeyPort

logger = logging.getLogger("qaryz.records")
CATEGORIES = frozenset({"business", "security"})
DIRECTIONS = frozenset({"outbound", "inbound", "internal"})


class DocumentIntegrityError(Exception):
    """A stored document no longer matches the SHA-256 taken when it was stored (R-INT-1)."""


class DocumentUnavailable(Exception):
    """The document was deleted at the end of its retention period."""


# --- key holders ----------------------------------------------------------------------------
def keyring() -> KeyEncryptionPort:
    """The KEK holder chosen by ``QARYZ_KEK_BACKEND``: ``file`` (embedded) or ``vault-transit``."""
    backend = getattr(settings, "RECORDS_KEK_BACKEND", "file")
    if backend == "file":
        return FileKeyring()
    if backend == "vault-transit":
        from qaryz.records.adapters.vault_transit import VaultTransitKeyring

        legacy = FileKeyring()  # documents wrapped before the switch, until rotate_kek moves them
        return VaultTransitKeyring(legacy=legacy if legacy.exists() else None)
    raise ImproperlyConfigured(f"QARYZ_KEK_BACKEND={backend!r}: use 'file' or 'vault-transit'")


def signing_key() -> SigningKeyPort:
    return FileSigningKey()


# --- audit trail ------------------------------------------------------------------------------
_json_encoder = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _actor_fields(actor: Any) -> tuple[str, str, str]:
    """(actor_type, actor_id, label) by duck typing, so records imports no other room."""
    if actor is None:
        return "system", "", ""
    if isinstance(actor, str):  # "system" or "api:<client name>"
        kind, _, name = actor.partition(":")
        return ("api", "", name) if kind == "api" else ("system", "", actor if actor != "system" else "")
    meta = getattr(actor, "_meta", None)
    label = getattr(meta, "label_lower", "")
    if label == "auth.user":
        return "staff", str(actor.pk), actor.get_username()
    if label == "clients.client":
        # No name or IIN here: the trail must not spread secrecy data (R-SEC-1 keeps who, not PII).
        return "client", str(actor.pk), ""
    return "api", f"{label}:{actor.pk}" if label else "", str(actor)[:150]


def _actor_from_request(request: HttpRequest | None) -> Any:
    if request is None:
        return None
    client = getattr(request, "client", None)
    if client is not None:
        return client
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    auth = getattr(request, "auth", None)  # django-ninja: the API caller
    if auth is not None and getattr(auth, "_meta", None) is not None:
        return auth
    return None


def _request_fields(request: HttpRequest | None) -> tuple[str, str, str]:
    if request is None:
        return "", "", "system"
    meta = request.META
    channel = "api" if request.path.startswith("/api/") else "web"
    return meta.get("REMOTE_ADDR", "") or "", meta.get("HTTP_USER_AGENT", "") or "", channel


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First event, or the table was flushed: start from whatever the trail holds.
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash", "ts").first()
        seed = AuditChainHead(id=1, seq=last[0], hash=last[1], ts=last[2]) if last else AuditChainHead(id=1)
        AuditChainHead.objects.bulk_create([seed], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


_EVENT_COLUMNS = (*chain.FIELDS, "prev_hash", "hash")
_HEAD = "SELECT seq, hash, ts FROM records_auditchainhead WHERE id = 1"
# Column names are constants, never input.
_INSERT = "INSERT INTO records_auditevent ({}) VALUES ({})".format(  # noqa: S608  # nosec B608
    ", ".join(_EVENT_COLUMNS), ", ".join(["%s"] * len(_EVENT_COLUMNS))
)
_COPY = "COPY records_auditevent ({}) FROM STDIN".format(", ".join(_EVENT_COLUMNS))
_MOVE_HEAD = "UPDATE records_auditchainhead SET seq = %s, hash = %s, ts = %s WHERE id = 1"
# PostgreSQL: the whole append is ONE statement, hence one round trip (and, outside a caller's
# transaction, its own implicit transaction – no BEGIN/COMMIT round trips). The UPDATE locks the
# head row; a concurrent writer blocks on it and, once the first commits, PostgreSQL re-evaluates
# the SET expressions on the committed row (READ COMMITTED's EvalPlanQual), so seq and prev_hash
# always come from the latest head. The hash is the same SHA-256 as ``chain.record_hash``:
# prev_hash ␟ seq ␟ ts ␟ body, where body (category … data, joined by ␟) is built in Python.
# The row's own columns come from the same Python values, so the stored row and the hashed text
# cannot differ.
_PG_NEXT_TS = "GREATEST(ts, %s::bigint)"
# Built from the constant column names only.
_PG_APPEND = (
    "WITH head AS ("  # noqa: S608
    "UPDATE records_auditchainhead SET prev_hash = hash, seq = seq + 1, "
    f"ts = {_PG_NEXT_TS}, "
    "hash = encode(sha256(convert_to("
    f"hash || chr(31) || CAST(seq + 1 AS text) || chr(31) || CAST({_PG_NEXT_TS} AS text) "
    "|| chr(31) || %s::text, 'UTF8')), 'hex') "
    "WHERE id = 1 RETURNING seq, ts, prev_hash, hash) "
    "INSERT INTO records_auditevent ({columns}) SELECT head.seq, head.ts, {values}, "
    "head.prev_hash, head.hash FROM head RETURNING seq, ts, prev_hash, hash"
).format(
    columns=", ".join(_EVENT_COLUMNS),
    values=", ".join(["%s::text"] * (len(chain.FIELDS) - 2)),
)


def _append_postgresql(values: list[str]) -> list:
    """One statement, sent with server-side parameter binding on a plain psycopg cursor and, by
    default, as a prepared statement (parsing and planning the statement cost more than running
    it: about 0.5 ms per append unprepared with client-side binding, 0.2 ms prepared, measured on
    the build machine). Django keeps prepared statements off for connection poolers; set
    ``QARYZ_AUDIT_PREPARE=0`` behind a transaction-pooling PgBouncer older than 1.21."""
    import psycopg

    body = chain.SEP.join(values[2:])
    ts = time.time_ns() // 1000
    params = [ts, ts, body, *values[2:]]
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    encoding = str(raw.info.parameter_status("server_encoding") or "")
    if encoding.upper() not in {"UTF8", "UTF-8"}:  # the SQL hash equals Python's only over UTF-8
        raise RuntimeError("the audit trail needs a UTF8 PostgreSQL database (server_encoding)")
    prepare = bool(getattr(settings, "RECORDS_AUDIT_PREPARE", True))
    if prepare and raw.prepare_threshold is None:
        # Django turns psycopg's statement preparation off (threshold None), which also refuses
        # explicit prepare=True. A threshold no statement reaches keeps automatic preparation
        # off for every other query while this one is prepared on request.
        raw.prepare_threshold = 2**62
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(_PG_APPEND, params, prepare=prepare)
        appended = cursor.fetchone()
        if appended is None:  # first event ever, or the head row was flushed: seed it and retry
            with transaction.atomic(savepoint=False):
                _lock_head()
                cursor.execute(_PG_APPEND, params, prepare=prepare)
                appended = cursor.fetchone()
    seq, ts, prev_hash, digest = appended
    values[0], values[1] = str(seq), str(ts)
    if chain.record_hash(prev_hash, values) != digest:  # cannot happen unless SQL and Python diverge
        raise RuntimeError(f"audit record #{seq}: database hash differs from the canonical form")
    return [seq, ts, *values[2:], prev_hash, digest]


def _append_locked(values: list[str]) -> list:
    """SQLite (any other backend): read the head, insert, move the head – in one transaction
    that SQLite's IMMEDIATE mode serialises."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_HEAD)
        head = cursor.fetchone()
        if head is None:
            _lock_head()
            cursor.execute(_HEAD)
            head = cursor.fetchone()
        prev_seq, prev_hash, prev_ts = head
        seq = prev_seq + 1
        ts = max(time.time_ns() // 1000, prev_ts)
        values[0], values[1] = str(seq), str(ts)
        digest = chain.record_hash(prev_hash, values)
        row = [seq, ts, *values[2:], prev_hash, digest]
        cursor.execute(_INSERT, row)
        cursor.execute(_MOVE_HEAD, [seq, digest, ts])
    return row


def _event_values(
    action: str,
    *,
    category: str = "business",
    actor: Any = None,
    target: Any = None,
    data: dict | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """The FIELDS values of one event as text (seq and ts blank: filled under the chain's lock)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown audit category {category!r}")
    request = request if request is not None else current_request()
    if actor is None:
        actor = _actor_from_request(request) or current_actor()
    actor_type, actor_id, actor_label = _actor_fields(actor)
    target_type, target_id = "", ""
    if isinstance(target, tuple):  # (model label, pk) of a row written without an instance
        target_type, target_id = target[0], str(target[1])
    elif target is not None:
        target_type, target_id = target._meta.label_lower, str(target.pk)
    ip, user_agent, channel = _request_fields(request)
    request_id = get_request_id()
    return [
        "",  # seq, filled under the lock
        "",  # ts, filled under the lock
        category,
        chain.clean_text(action, 100),
        actor_type,
        chain.clean_text(actor_id, 64),
        chain.clean_text(actor_label, 150),
        chain.clean_text(target_type, 100),
        chain.clean_text(target_id, 64),
        chain.clean_text(ip, 45),
        chain.clean_text(user_agent, 300),
        channel,
        chain.clean_text("" if request_id == "-" else request_id, 32),
        _json_encoder.encode(data or {}),
    ]


def _event(row: list) -> AuditEvent:
    event = AuditEvent(**dict(zip(_EVENT_COLUMNS, row, strict=True)))
    event._state.adding = False
    event._state.db = connection.alias
    return event


def record_event(
    action: str,
    *,
    category: str = "business",
    actor: Any = None,
    target: Any = None,
    data: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit trail (R-AUD-1, R-SEC-1) inside the caller's transaction.

    actor: a staff User, a Client, "system" / "api:<name>", or None (then taken from the
    request – ``request.client``, ``request.user``, ``request.auth`` – else "system").
    The chain head row is locked until the caller's transaction ends: call this late in long
    transactions so other writers wait as little as possible.
    """
    values = _event_values(action, category=category, actor=actor, target=target, data=data, request=request)
    row = _append_postgresql(values) if connection.vendor == "postgresql" else _append_locked(values)
    return _event(row)


def record_events(events: list[dict[str, Any]], *, returning: bool = True) -> list[AuditEvent]:
    """Append several events (each a dict of ``record_event``'s keyword arguments, ``action``
    included) in order, under ONE lock of the chain head: one COPY (PostgreSQL) or pipelined INSERT
    and one head update however many events (a batch of payments audits each payment at the cost of
    one). ``returning=False``: the caller does not need the rows back (no model instances built)."""
    if not events:
        return []
    rows_values = [_event_values(**event) for event in events]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_HEAD + " FOR UPDATE")
        else:
            cursor.execute(_HEAD)
        head = cursor.fetchone()
        if head is None:
            _lock_head()
            cursor.execute(_HEAD)
            head = cursor.fetchone()
        seq, prev_hash, prev_ts = head
        ts = max(time.time_ns() // 1000, prev_ts)
        rows = []
        for values in rows_values:
            seq += 1
            values[0], values[1] = str(seq), str(ts)
            digest = chain.record_hash(prev_hash, values)
            rows.append([seq, ts, *values[2:], prev_hash, digest])
            prev_hash = digest
        if connection.vendor == "postgresql":
            # One COPY: no per-row statement to compose; psycopg formats each row in C.
            with connection.wrap_database_errors, cursor.cursor.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(_INSERT, rows)  # one statement parsed once
        cursor.execute(_MOVE_HEAD, [seq, prev_hash, ts])
    return [_event(row) for row in rows] if returning else []


def create_checkpoint() -> AuditCheckpoint:
    """Sign the current chain head with the MFO's key; export it to detect whole-table rewrites."""
    from qaryz.records.checkpoints import checkpoint_message

    key = signing_key().private_key()
    with transaction.atomic():
        head = _lock_head()
        checkpoint = AuditCheckpoint(
            seq=head.seq,
            hash=head.hash,
            ts=head.ts,
            signed_at=timezone.now(),
            key_id=crypto.public_key_id(key.public_key()),
        )
        checkpoint.signature = crypto.sign(key, checkpoint_message(head.seq, head.hash, head.ts))
        checkpoint.save(force_insert=True)
    record_event(
        "audit.checkpoint", category="security", data={"seq": checkpoint.seq, "hash": checkpoint.hash}
    )
    return checkpoint


# --- vault ------------------------------------------------------------------------------------
def retention_years() -> int:
    return max(5, int(getattr(settings, "RECORDS_RETENTION_YEARS", 5)))


def _owner_fields(owner: Any) -> tuple[str, str]:
    if owner is None:
        return "", ""
    return owner._meta.label_lower, str(owner.pk)


@dataclass
class NewDocument:
    """One document for ``store_documents`` (the arguments of ``store_document``)."""

    content: bytes
    media_type: str
    kind: str
    direction: str
    owner: Any = None
    filename: str = ""
    channel: str = "web"
    reference: str = ""
    id: uuid.UUID | None = None  # chosen by the caller when another row must name it first


def store_document(
    content: bytes,
    *,
    media_type: str,
    kind: str,
    direction: str,
    owner: Any = None,
    filename: str = "",
    channel: str = "web",
    reference: str = "",
) -> StoredDocument:
    """Keep ``content`` exactly as given, encrypted (AES-256-GCM, per-document key wrapped by the
    KEK), with its SHA-256; a client document also gets a signed receipt (R-ARCH-1, R-RCPT-1).

    reference: the business object whose obligations end drives retention (e.g.
    "lending.contract:42"); see ``set_obligations_end``.
    """
    return store_documents(
        [NewDocument(content, media_type, kind, direction, owner, filename, channel, reference)]
    )[0]


def store_documents(
    items: list[NewDocument],
    *,
    returning: bool = True,
    audit_into: list[dict[str, Any]] | None = None,
    audited_by_caller: bool = False,
) -> list[StoredDocument]:
    """``store_document`` for several documents at once: one INSERT of the rows, one of their
    receipts and one append of their audit events (each document still its own encrypted object).
    ``returning=False``: the caller does not need the rows back (no model instances are built – a
    batch of payments stores hundreds of receipts). ``audit_into``: the documents' audit events are
    added to this list for the caller to append with its own, in the same transaction (one lock of
    the audit chain head, taken as late as possible). ``audited_by_caller``: no "document.stored"
    events – the caller's own event for each document names it and its SHA-256 (a posted payment's
    event names its receipt: one event per payment instead of two)."""
    for item in items:
        if not isinstance(item.content, bytes | bytearray | memoryview):
            raise TypeError("content must be bytes")
        if item.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}")
    now = timezone.now()
    ring = keyring()
    rows, owners = [], []
    for item in items:
        content = bytes(item.content)
        doc_id = item.id or uuid.uuid4()
        dek = crypto.new_key()
        blob = crypto.encrypt(dek, content, doc_id.bytes)
        kek_id, wrapped = ring.wrap(dek)
        name = storage.save_object(f"{storage.VAULT_PREFIX}{now:%Y/%m}/{doc_id.hex}.bin", blob, created=now)
        owner_type, owner_id = _owner_fields(item.owner)
        rows.append(
            {
                "id": doc_id,
                "kind": chain.clean_text(item.kind, 60),
                "media_type": chain.clean_text(item.media_type, 120),
                "filename": chain.clean_text(item.filename, 255),
                "direction": item.direction,
                "channel": chain.clean_text(item.channel, 16),
                "owner_type": owner_type,
                "owner_id": owner_id,
                "reference": chain.clean_text(item.reference, 120),
                "size": len(content),
                "sha256": crypto.sha256_hex(content),
                "storage_name": name,
                "kek_id": kek_id,
                "wrapped_key": wrapped,
                "created_at": now,  # the storage object's time
                "obligations_end": None,
                "retention_until": None,
                "legal_hold": False,
                "legal_hold_reason": "",
                "purged_at": None,
            }
        )
        owners.append(item.owner)
    with transaction.atomic():
        insert_values(StoredDocument, rows)
        from qaryz.records.receipts import receipt_values

        insert_values(
            Receipt, receipt_values([(row, owner) for row, owner in zip(rows, owners, strict=True) if owner])
        )
        if not audited_by_caller:
            events = [
                {
                    "action": "document.stored",
                    "target": ("records.storeddocument", row["id"]),
                    "data": {
                        "kind": row["kind"],
                        "direction": row["direction"],
                        "channel": row["channel"],
                        "sha256": row["sha256"],
                        "size": row["size"],
                        "owner": f"{row['owner_type']}:{row['owner_id']}" if row["owner_type"] else "",
                    },
                }
                for row in rows
            ]
            if audit_into is not None:
                audit_into.extend(events)
            else:
                record_events(events, returning=False)
    if not returning:
        return []
    documents = [StoredDocument(**row) for row in rows]
    for document in documents:
        document._state.adding = False
    return documents


def read_document(document: StoredDocument) -> bytes:
    """The exact bytes stored, after checking them against their SHA-256 (R-INT-1)."""
    if document.purged_at is not None:
        raise DocumentUnavailable(f"document {document.pk} was deleted after its retention period")
    try:
        blob = storage.read_object(document.storage_name)
    except FileNotFoundError as exc:
        raise DocumentIntegrityError(f"document {document.pk}: stored object is missing") from exc
    try:
        dek = keyring().unwrap(document.kek_id, bytes(document.wrapped_key))
        content = crypto.decrypt(dek, blob, document.pk.bytes)
    except crypto.DecryptionError as exc:
        raise DocumentIntegrityError(f"document {document.pk}: {exc}") from exc
    if crypto.sha256_hex(content) != document.sha256:
        raise DocumentIntegrityError(f"document {document.pk}: SHA-256 mismatch")
    return content


def rotate_kek(*, retire_old: bool = False) -> dict[str, int | str]:
    """New KEK, then re-wrap every data key under it (documents' and the encrypted columns'
    ``FieldKey`` rows); documents and column values themselves are not touched."""
    ring = keyring()
    new_id = ring.rotate()
    rewrapped = 0
    # Purged documents keep no wrapped key (crypto-shredded): nothing to re-wrap.
    live = StoredDocument.objects.filter(purged_at__isnull=True)
    pending = live.exclude(kek_id=new_id).values_list("pk", flat=True)
    for pk in list(pending.iterator(chunk_size=500)):
        with transaction.atomic():
            doc = StoredDocument.objects.select_for_update().get(pk=pk)
            if doc.kek_id == new_id or doc.purged_at is not None:
                continue
            kek_id, wrapped = ring.rewrap(doc.kek_id, bytes(doc.wrapped_key))
            StoredDocument.objects.filter(pk=pk).update(kek_id=kek_id, wrapped_key=wrapped)
            rewrapped += 1
    # The data keys of the columns encrypted at rest (qaryz.core.encrypted) are wrapped the same way.
    field_keys = 0
    for key_row in FieldKey.objects.exclude(kek_id=new_id):
        kek_id, wrapped = ring.rewrap(key_row.kek_id, bytes(key_row.wrapped_key))
        FieldKey.objects.filter(pk=key_row.pk).update(kek_id=kek_id, wrapped_key=wrapped)
        field_keys += 1
    removed: list[str] = []
    if retire_old:
        in_use = set(live.values_list("kek_id", flat=True).distinct())
        in_use |= set(FieldKey.objects.values_list("kek_id", flat=True))
        removed = ring.retire(in_use)
    record_event(
        "vault.kek_rotated",
        category="security",
        data={"kek_id": new_id, "rewrapped": rewrapped, "field_keys": field_keys, "retired": removed},
    )
    return {"kek_id": new_id, "rewrapped": rewrapped, "field_keys": field_keys, "retired": len(removed)}


# --- retention (R-ARCH-1) -----------------------------------------------------------------------
def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _documents_of(owner_or_reference: Any):
    if isinstance(owner_or_reference, StoredDocument):
        return StoredDocument.objects.filter(pk=owner_or_reference.pk)
    if isinstance(owner_or_reference, str):
        return StoredDocument.objects.filter(reference=owner_or_reference)
    owner_type, owner_id = _owner_fields(owner_or_reference)
    return StoredDocument.objects.filter(owner_type=owner_type, owner_id=owner_id)


def set_obligations_end(owner_or_reference: Any, obligations_end: date | None, *, actor: Any = None) -> int:
    """Record when the obligations behind some documents ended (repaid, written off, cancelled).

    owner_or_reference: a reference string given to ``store_document`` (e.g.
    "lending.contract:42") for that contract's documents, a Client for the client's own
    documents (registration, identification – call it when the client has no live contract
    left), or one StoredDocument. Retention end = obligations end + RECORDS_RETENTION_YEARS
    (never below 5). A later end never shortens an earlier one; ``None`` reopens (new
    obligations: keep indefinitely again). Returns the number of documents updated.
    """
    documents = _documents_of(owner_or_reference).filter(purged_at__isnull=True)
    label = (
        owner_or_reference
        if isinstance(owner_or_reference, str)
        else ":".join(_owner_fields(owner_or_reference))
    )
    with transaction.atomic():
        if obligations_end is None:
            count = documents.update(obligations_end=None, retention_until=None)
        else:
            until = _add_years(obligations_end, retention_years())
            count = 0
            for doc in documents.select_for_update():
                if doc.obligations_end is not None and doc.obligations_end >= obligations_end:
                    continue
                doc.obligations_end = obligations_end
                doc.retention_until = until
                doc.save(update_fields=["obligations_end", "retention_until"])
                storage.extend_retention(doc.storage_name, until)
                count += 1
        record_event(
            "vault.obligations_end_set",
            actor=actor,
            data={"for": label, "obligations_end": obligations_end, "documents": count},
        )
    return count


def set_legal_hold(owner_or_reference: Any, hold: bool, *, reason: str = "", actor: Any = None) -> int:
    """Place (or lift) a legal hold: held documents are never purged, whatever their retention."""
    documents = _documents_of(owner_or_reference).filter(purged_at__isnull=True)
    with transaction.atomic():
        ids = list(documents.select_for_update().values_list("pk", flat=True))
        StoredDocument.objects.filter(pk__in=ids).update(
            legal_hold=hold, legal_hold_reason=chain.clean_text(reason, 300) if hold else ""
        )
        record_event(
            "vault.legal_hold" if hold else "vault.legal_hold_lifted",
            actor=actor,
            data={"documents": [str(pk) for pk in ids], "reason": reason},
        )
    return len(ids)


def purge_expired_documents(*, today: date | None = None) -> int:
    """Delete documents whose retention ended before ``today`` unless on legal hold; one audit
    event per deletion. The metadata row stays as a tombstone (id, hash, dates)."""
    today = today or timezone.localdate()
    expired = StoredDocument.objects.filter(
        retention_until__lt=today, legal_hold=False, purged_at__isnull=True
    ).values_list("pk", flat=True)
    purged = 0
    for pk in list(expired):
        with transaction.atomic():
            doc = StoredDocument.objects.select_for_update().get(pk=pk)
            if doc.legal_hold or doc.purged_at or not doc.retention_until or doc.retention_until >= today:
                continue
            try:
                storage.delete_object(doc.storage_name)
            except Exception as exc:  # e.g. the storage's own lock still holds; retry tomorrow
                logger.warning("could not delete vault object of document %s: %s", doc.pk, exc)
                record_event("document.purge_failed", target=doc, data={"error": exc.__class__.__name__})
                continue
            doc.purged_at = timezone.now()
            doc.filename = ""
            doc.wrapped_key = b""  # crypto-shred whatever copy of the object may survive elsewhere
            doc.save(update_fields=["purged_at", "filename", "wrapped_key"])
            record_event(
                "document.purged",
                target=doc,
                data={"kind": doc.kind, "sha256": doc.sha256, "retention_until": doc.retention_until},
            )
            purged += 1
    return purged


# --- orphan objects --------------------------------------------------------------------------
@dataclass
class OrphanSweep:
    """What ``sweep_orphan_objects`` found and did."""

    dry_run: bool
    scanned: int = 0
    orphans: list[dict[str, Any]] = field(default_factory=list)
    deleted: int = 0
    locked: int = 0  # held by S3 Object Lock: crypto-shredded, deletable after retain-until
    failed: int = 0
    deleted_bytes: int = 0


def sweep_orphan_objects(
    *, grace: timedelta | None = None, dry_run: bool = False, now: datetime | None = None
) -> OrphanSweep:
    """Delete vault objects that no StoredDocument row names and that are older than ``grace``.

    They come from ``store_document`` calls whose transaction rolled back: the object is written
    before the row, so a rollback leaves ciphertext whose wrapped data key is gone – unreadable,
    but still taking space (and still personal data in encrypted form). The grace period
    (``QARYZ_VAULT_ORPHAN_GRACE_HOURS``, default 24 h) keeps objects of transactions still in
    flight. One ``vault.orphan_deleted`` audit event per deleted object and one
    ``vault.orphans_swept`` summary per run (also for a dry run, which deletes nothing).
    Objects held by S3 Object Lock (COMPLIANCE mode) cannot be deleted before their
    retain-until date; they are counted as ``locked`` and retried on later runs.
    """
    if grace is None:
        grace = timedelta(hours=float(getattr(settings, "RECORDS_ORPHAN_GRACE_HOURS", 24)))
    if grace < timedelta(hours=1):
        raise ValueError("the grace period must be at least one hour (transactions in flight)")
    now = now or timezone.now()
    cutoff = now - grace
    result = OrphanSweep(dry_run=dry_run)

    def examine(batch: list[tuple[str, int, datetime]]) -> None:
        known = set(
            StoredDocument.objects.filter(storage_name__in=[name for name, _, _ in batch]).values_list(
                "storage_name", flat=True
            )
        )
        for name, size, modified in batch:
            if name in known:
                continue
            orphan = {"name": name, "size": size, "modified": utc_iso(modified)}
            result.orphans.append(orphan)
            if dry_run:
                continue
            # The row may have been committed since the batch query (a very slow transaction that
            # wrote its object before the grace period): look again right before deleting.
            if StoredDocument.objects.filter(storage_name=name).exists():
                result.orphans.pop()
                continue
            try:
                storage.delete_object(name)
            except Exception as exc:  # Object Lock, permissions, network: report, retry next run
                locked_until = _locked_until(name)
                if locked_until is not None and locked_until > now:
                    result.locked += 1
                    orphan["locked_until"] = utc_iso(locked_until)
                else:
                    result.failed += 1
                    orphan["error"] = exc.__class__.__name__
                    logger.warning("could not delete orphan vault object %s: %s", name, exc)
                continue
            result.deleted += 1
            result.deleted_bytes += size
            record_event("vault.orphan_deleted", data=orphan)

    batch: list[tuple[str, int, datetime]] = []
    for name, size, modified in storage.list_objects():
        result.scanned += 1
        if modified >= cutoff:
            continue
        batch.append((name, size, modified))
        if len(batch) >= 500:
            examine(batch)
            batch = []
    if batch:
        examine(batch)
    record_event(
        "vault.orphans_swept",
        data={
            "dry_run": dry_run,
            "grace_hours": grace.total_seconds() / 3600,
            "scanned": result.scanned,
            "orphans": len(result.orphans),
            "deleted": result.deleted,
            "deleted_bytes": result.deleted_bytes,
            "locked": result.locked,
            "failed": result.failed,
        },
    )
    return result


def _locked_until(name: str) -> datetime | None:
    try:
        return storage.object_locked_until(name)
    except Exception:  # the object or the bucket cannot be asked: not known to be locked
        return None


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


__all__ = [
    "DocumentIntegrityError",
    "DocumentUnavailable",
    "Receipt",
    "create_checkpoint",
    "purge_expired_documents",
    "read_document",
    "record_event",
    "rotate_kek",
    "set_legal_hold",
    "set_obligations_end",
    "store_document",
    "sweep_orphan_objects",
]
