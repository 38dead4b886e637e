"""Columns encrypted at rest (R-3P-1): the database, its backups and whoever hosts them see only
ciphertext; the key stays with the MFO.

``EncryptedTextField`` encrypts each value with AES-256-GCM under a per-deployment field data key;
that data key is kept in the database only wrapped by the MFO's key-encryption key (the records
vault's KEK: a key file or Vault Transit), so the database alone opens nothing. The key holder is
found through ``settings.FIELD_KEY_PROVIDER`` (the records room provides it), so this module
imports no room.

Stored form: ``qe1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``; the associated data is the
column's label and the key id, so a value copied into another column does not decrypt. The empty
string stays empty (a blank address reveals only that it is blank) and NULL stays NULL.

An encrypted column cannot be searched: exact lookups other than ``""`` raise ``FieldError``. A
column that must be found by value gets a ``BlindIndexField`` beside it – a keyed HMAC-SHA256 of
the normalised value (whitespace removed, upper case), under a key derived from the MFO's index
key, so equal values match without the value being readable or guessable without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.utils.module_loading import import_string

PREFIX = "qe1:"
NONCE = 12


class EncryptedValueError(Exception):
    """A stored value is not ciphertext of this deployment, or was altered (wrong key, tampered)."""


class FieldKeyProvider(Protocol):
    def current(self) -> tuple[str, bytes]:
        """The (key id, 32-byte key) new values are encrypted with."""
        ...

    def get(self, key_id: str) -> bytes:
        """The key a stored value names."""
        ...

    def index_key(self) -> bytes:
        """The 32-byte key of blind indexes (never rotated: every index would change)."""
        ...


def key_provider() -> FieldKeyProvider:
    return import_string(settings.FIELD_KEY_PROVIDER)()


def _aad(label: str, key_id: str) -> bytes:
    return f"qaryz-field:{label}:{key_id}".encode()


def encrypt_value(plaintext: str, label: str) -> str:
    key_id, key = key_provider().current()
    nonce = os.urandom(NONCE)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(label, key_id))
    return f"{PREFIX}{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt_value(stored: str, label: str) -> str:
    if not stored.startswith(PREFIX) or stored.count(":") != 2:
        raise EncryptedValueError(f"{label}: the stored value is not encrypted")
    _prefix, key_id, body = stored.split(":")
    try:
        blob = base64.urlsafe_b64decode(body.encode())
        key = key_provider().get(key_id)
        return AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], _aad(label, key_id)).decode()
    except (InvalidTag, ValueError, LookupError) as exc:
        raise EncryptedValueError(f"{label}: the stored value does not decrypt") from exc


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def normalise_for_index(value: str) -> str:
    return "".join((value or "").split()).upper()


def blind_index(value: str, purpose: str) -> str:
    """The keyed digest a ``BlindIndexField`` stores for ``value`` ("" for an empty value)."""
    value = normalise_for_index(value)
    if not value:
        return ""
    key = hmac.new(key_provider().index_key(), f"qaryz-index:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class _EmptyOnlyExact(Exact):
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted at rest: it cannot be looked up by value "
                "(use its blind index)"
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python code sees the plaintext. ``max_length`` is still
    checked (forms and ``full_clean``) on the plaintext; the column itself is unbounded text."""

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            from django.core.validators import MaxLengthValidator

            self.validators.append(MaxLengthValidator(self.max_length))

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None  # contains, startswith, in, … cannot work on ciphertext

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt_value(value, self.label)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_value(str(value), self.label)


class BlindIndexField(models.CharField):
    """Keyed HMAC of another column's value, filled on every save (``create``, ``save``,
    ``bulk_create``); ``QuerySet.update`` does not fill it – write such columns through save()."""

    def __init__(self, *args: Any, source: str = "", purpose: str = "", **kwargs: Any) -> None:
        self.source, self.purpose = source, purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"], kwargs["purpose"] = self.source, self.purpose
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        digest = blind_index(getattr(model_instance, self.source) or "", self.purpose)
        setattr(model_instance, self.attname, digest)
        return digest


def encrypt_existing_rows(
    connection: Any,
    *,
    table: str,
    column: str,
    label: str,
    index_column: str = "",
    index_purpose: str = "",
    reverse: bool = False,
) -> int:
    """Data migration of a column becoming ``EncryptedTextField``: encrypt the plaintext of every
    row (and fill its blind index); ``reverse`` decrypts back. Raw SQL, because the model field
    refuses to read plaintext. Returns the number of rows changed."""
    qn = connection.ops.quote_name
    changed = 0
    with connection.cursor() as cursor:
        # Identifiers come from the migration's own constants, never from input.
        cursor.execute(f"SELECT id, {qn(column)} FROM {qn(table)}")  # noqa: S608  # nosec B608 - constant identifiers
        rows = cursor.fetchall()
        for pk, value in rows:
            if not value or is_encrypted(value) != reverse:
                continue
            new = decrypt_value(value, label) if reverse else encrypt_value(value, label)
            sets, params = [f"{qn(column)} = %s"], [new]
            if index_column:
                sets.append(f"{qn(index_column)} = %s")
                params.append("" if reverse else blind_index(value, index_purpose))
            cursor.execute(
                f"UPDATE {qn(table)} SET {', '.join(sets)} WHERE id = %s",  # noqa: S608  # nosec B608 - constant identifiers
                [*params, pk],
            )
            changed += 1
    return changed
