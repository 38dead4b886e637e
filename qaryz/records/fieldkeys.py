"""The records room's key holder for columns encrypted at rest (``qaryz.core.encrypted``, R-3P-1).

Envelope scheme like the vault's: one random AES-256 field data key per deployment (a new one only
when ``new_field_key`` is called), stored in ``FieldKey`` wrapped by the current KEK (key file or
Vault Transit, ``records.services.keyring``); ``rotate_kek`` re-wraps it with the documents' keys.
Unwrapped keys are cached per process: a key id names one key forever (ids are random), so the
cache never goes stale – and Vault is asked once per process, not once per value.
"""

from __future__ import annotations

import secrets
import threading

from django.db import IntegrityError, connection, transaction

from qaryz.records import crypto
from qaryz.records.models import FieldKey

_lock = threading.Lock()
_keys: dict[str, bytes] = {}
_current: dict[str, str] = {}
# Keys this process created in a transaction not yet committed: cached only once it commits, so a
# rolled-back key (its row gone) is never used for values written by later transactions.
_uncommitted: set[str] = set()


def _create(purpose: str) -> tuple[str, bytes]:
    from qaryz.records.services import keyring

    key = crypto.new_key()
    key_id = ("fk-" if purpose == FieldKey.Purpose.FIELD else "ix-") + secrets.token_hex(6)
    kek_id, wrapped = keyring().wrap(key)
    FieldKey.objects.create(key_id=key_id, purpose=purpose, kek_id=kek_id, wrapped_key=wrapped)
    if connection.in_atomic_block:
        _uncommitted.add(key_id)
        transaction.on_commit(lambda: _uncommitted.discard(key_id))
    return key_id, key


def _unwrap(row: FieldKey) -> bytes:
    from qaryz.records.services import keyring

    return keyring().unwrap(row.kek_id, bytes(row.wrapped_key))


def _newest(purpose: str) -> tuple[str, bytes]:
    row = FieldKey.objects.filter(purpose=purpose).order_by("-created_at", "-key_id").first()
    if row is not None:
        return row.key_id, _keys.get(row.key_id) or _unwrap(row)
    try:
        with transaction.atomic():
            return _create(purpose)
    except IntegrityError:  # another process created the index key first
        row = FieldKey.objects.get(purpose=purpose)
        return row.key_id, _unwrap(row)


def new_field_key() -> str:
    """Start encrypting new values under a fresh data key (old values stay readable)."""
    with _lock:
        key_id, _key = _create(FieldKey.Purpose.FIELD)
        _current.pop(FieldKey.Purpose.FIELD, None)
    return key_id


def _remember(purpose: str, key_id: str, key: bytes) -> None:
    if key_id not in _uncommitted:
        _keys[key_id] = key
        _current[purpose] = key_id


def forget_cached_keys() -> None:
    with _lock:
        _keys.clear()
        _current.clear()


class RecordsFieldKeys:
    """``settings.FIELD_KEY_PROVIDER``."""

    def _of(self, purpose: str) -> tuple[str, bytes]:
        key_id = _current.get(purpose)
        if key_id and key_id in _keys:
            return key_id, _keys[key_id]
        with _lock:
            key_id, key = _newest(purpose)
            _remember(purpose, key_id, key)
        return key_id, key

    def current(self) -> tuple[str, bytes]:
        return self._of(FieldKey.Purpose.FIELD)

    def index_key(self) -> bytes:
        return self._of(FieldKey.Purpose.INDEX)[1]

    def get(self, key_id: str) -> bytes:
        if key_id in _keys:
            return _keys[key_id]
        row = FieldKey.objects.filter(pk=key_id).first()
        if row is None:
            raise KeyError(key_id)
        try:
            key = _unwrap(row)
        except crypto.DecryptionError as exc:
            raise KeyError(key_id) from exc
        if key_id not in _uncommitted:
            with _lock:
                _keys[key_id] = key
        return key
