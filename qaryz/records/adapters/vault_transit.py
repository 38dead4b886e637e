"""Key-encryption key in a KMS: HashiCorp Vault's Transit secrets engine (or anything speaking its
HTTP API, e.g. OpenBao) – the production adapter of ``ports.KeyEncryptionPort``.

The KEK never leaves the KMS: Qaryz sends each document's 32-byte data key to
``POST /v1/<mount>/encrypt/<key>`` and stores the answer (``vault:v<N>:…``) as the wrapped key;
reading a document sends it back to ``decrypt``. Key versions are the KEK ids
(``transit:<key>:v<N>``). Rotation is Transit's ``keys/<key>/rotate``; data keys are moved to the
new version with ``rewrap``, which never shows Qaryz the data key; documents are not touched.
Retiring raises the key's ``min_decryption_version`` to the oldest version still in use (Vault
cannot drop a version in the middle; older versions can be trimmed in Vault afterwards).

Authentication: a Vault token (``X-Vault-Token``) from ``QARYZ_VAULT_TOKEN`` or re-read from
``QARYZ_VAULT_TOKEN_FILE`` (a Vault Agent sink), optional ``X-Vault-Namespace``. The token needs
the policy shown in docs/records.md.

Documents wrapped earlier by the file keyring (KEK ids ``kek-…``) stay readable through that
keyring while it exists in ``QARYZ_KEY_DIR``; ``rotate_kek`` moves them into the KMS.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from qaryz.records import crypto
from qaryz.records.ports import KeyEncryptionPort, KeyServiceError

PREFIX = "transit:"
_CIPHERTEXT = re.compile(r"^vault:v(\d+):[A-Za-z0-9+/=]+$")
_clients: dict[tuple, httpx.Client] = {}
_clients_lock = threading.Lock()


def _key_label(key: str) -> str:
    """The key's name as it appears in KEK ids (the column holds 40 characters)."""
    return key if len(key) <= 24 else key[:15] + "~" + hashlib.sha256(key.encode()).hexdigest()[:8]


class VaultTransitKeyring:
    """KEKs held by Vault Transit; see the module docstring."""

    def __init__(
        self,
        *,
        addr: str | None = None,
        token: str | None = None,
        token_file: str | None = None,
        namespace: str | None = None,
        mount: str | None = None,
        key: str | None = None,
        cacert: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        legacy: KeyEncryptionPort | None = None,
    ) -> None:
        self.addr = (addr if addr is not None else settings.RECORDS_VAULT_ADDR).rstrip("/")
        self.token = token if token is not None else settings.RECORDS_VAULT_TOKEN
        self.token_file = token_file if token_file is not None else settings.RECORDS_VAULT_TOKEN_FILE
        self.namespace = namespace if namespace is not None else settings.RECORDS_VAULT_NAMESPACE
        self.mount = (mount or settings.RECORDS_VAULT_TRANSIT_MOUNT).strip("/")
        self.key = key or settings.RECORDS_VAULT_TRANSIT_KEY
        self.cacert = cacert if cacert is not None else settings.RECORDS_VAULT_CACERT
        self.timeout = httpx.Timeout(
            connect=connect_timeout or settings.RECORDS_VAULT_CONNECT_TIMEOUT,
            read=read_timeout or settings.RECORDS_VAULT_READ_TIMEOUT,
            write=read_timeout or settings.RECORDS_VAULT_READ_TIMEOUT,
            pool=connect_timeout or settings.RECORDS_VAULT_CONNECT_TIMEOUT,
        )
        self.legacy = legacy
        if not self.addr:
            raise KeyServiceError("QARYZ_VAULT_ADDR is not set (QARYZ_KEK_BACKEND=vault-transit)")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.key) or not re.fullmatch(
            r"[A-Za-z0-9_./-]+", self.mount
        ):
            raise KeyServiceError("QARYZ_VAULT_TRANSIT_KEY / _MOUNT contain characters not allowed in a path")
        self.label = _key_label(self.key)

    # --- HTTP ----------------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        """One pooled client per configuration and process (keep-alive across calls)."""
        verify: Any = self.cacert or True
        signature = (self.addr, str(verify), self.timeout.connect, self.timeout.read)
        with _clients_lock:
            client = _clients.get(signature)
            if client is None:
                client = _clients[signature] = httpx.Client(
                    base_url=self.addr, timeout=self.timeout, verify=verify
                )
            return client

    def _token(self) -> str:
        if self.token_file:
            try:
                return Path(self.token_file).read_text().strip()
            except OSError as exc:
                raise KeyServiceError(
                    f"cannot read the Vault token file {self.token_file}: {exc.strerror}"
                ) from exc
        if not self.token:
            raise KeyServiceError("no Vault token: set QARYZ_VAULT_TOKEN or QARYZ_VAULT_TOKEN_FILE")
        return self.token

    def _call(self, method: str, path: str, body: dict | None = None, *, retry: bool = True) -> dict:
        headers = {"X-Vault-Token": self._token(), "Accept": "application/json"}
        if self.namespace:
            headers["X-Vault-Namespace"] = self.namespace
        url = f"/v1/{self.mount}/{path}"
        attempts = 2 if retry else 1
        for attempt in range(attempts):
            try:
                response = self._client().request(method, url, json=body, headers=headers)
                break
            except httpx.TimeoutException as exc:
                if attempt + 1 == attempts:
                    raise KeyServiceError(
                        f"Vault at {self.addr} did not answer {method} {url} in time ({type(exc).__name__})"
                    ) from exc
            except httpx.TransportError as exc:
                if attempt + 1 == attempts:
                    raise KeyServiceError(
                        f"Vault at {self.addr} unreachable: {type(exc).__name__}: {exc}"
                    ) from exc
        if response.status_code == 204:
            return {}
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = {}
        if response.status_code // 100 == 2:
            return payload.get("data") or {}
        errors = "; ".join(str(e) for e in payload.get("errors") or []) or response.reason_phrase
        message = f"Vault answered {response.status_code} to {method} {url}: {errors}"
        if response.status_code == 400 and _is_ciphertext_error(errors):
            raise crypto.DecryptionError(message)
        raise KeyServiceError(message, status=response.status_code)

    # --- ids -----------------------------------------------------------------------------------
    def _kek_id(self, version: int) -> str:
        return f"{PREFIX}{self.label}:v{version}"

    def _version_of(self, kek_id: str) -> int:
        head, _, version = kek_id.rpartition(":v")
        if head != f"{PREFIX}{self.label}" or not version.isdigit():
            raise crypto.DecryptionError(f"KEK id {kek_id} is not a version of Transit key {self.key}")
        return int(version)

    def _owns(self, kek_id: str) -> bool:
        return kek_id.startswith(PREFIX)

    @staticmethod
    def _ciphertext_version(ciphertext: str) -> int:
        match = _CIPHERTEXT.match(ciphertext)
        if match is None:
            raise crypto.DecryptionError("wrapped key is not a Vault Transit ciphertext")
        return int(match.group(1))

    def _key_info(self) -> dict:
        try:
            return self._call("GET", f"keys/{self.key}")
        except KeyServiceError as exc:
            if exc.status == 404:
                raise KeyServiceError(
                    f"Transit key {self.key!r} does not exist at {self.addr}/v1/{self.mount} "
                    f"(create it: vault write -f {self.mount}/keys/{self.key})",
                    status=404,
                ) from exc
            raise

    # --- KeyEncryptionPort -----------------------------------------------------------------------
    def current_id(self) -> str:
        return self._kek_id(int(self._key_info()["latest_version"]))

    def wrap(self, dek: bytes) -> tuple[str, bytes]:
        data = self._call("POST", f"encrypt/{self.key}", {"plaintext": base64.b64encode(dek).decode()})
        ciphertext = str(data.get("ciphertext", ""))
        return self._kek_id(self._ciphertext_version(ciphertext)), ciphertext.encode()

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        if not self._owns(kek_id):
            return self._legacy(kek_id).unwrap(kek_id, wrapped)
        ciphertext = bytes(wrapped).decode("ascii", errors="replace")
        if self._ciphertext_version(ciphertext) != self._version_of(kek_id):
            raise crypto.DecryptionError(f"wrapped key does not belong to {kek_id}")
        data = self._call("POST", f"decrypt/{self.key}", {"ciphertext": ciphertext})
        try:
            return base64.b64decode(data["plaintext"], validate=True)
        except (KeyError, ValueError) as exc:
            raise KeyServiceError("Vault's decrypt answer has no valid plaintext") from exc

    def rewrap(self, kek_id: str, wrapped: bytes) -> tuple[str, bytes]:
        """Move a wrapped data key to the newest key version without Qaryz seeing it."""
        if not self._owns(kek_id):  # from the file keyring into the KMS
            return self.wrap(self._legacy(kek_id).unwrap(kek_id, wrapped))
        ciphertext = bytes(wrapped).decode("ascii", errors="replace")
        if self._ciphertext_version(ciphertext) != self._version_of(kek_id):
            raise crypto.DecryptionError(f"wrapped key does not belong to {kek_id}")
        data = self._call("POST", f"rewrap/{self.key}", {"ciphertext": ciphertext})
        new = str(data.get("ciphertext", ""))
        return self._kek_id(self._ciphertext_version(new)), new.encode()

    def rotate(self) -> str:
        try:
            self._key_info()
        except KeyServiceError as exc:
            if exc.status != 404:
                raise
            # First use (e.g. moving from the file keyring): the new key's version 1 is the new KEK.
            self._call("POST", f"keys/{self.key}", {"type": "aes256-gcm96"}, retry=False)
            return self.current_id()
        self._call("POST", f"keys/{self.key}/rotate", {}, retry=False)
        return self.current_id()

    def retire(self, keep: set[str]) -> list[str]:
        """Refuse decryption with every version older than the oldest one still in use."""
        info = self._key_info()
        latest = int(info["latest_version"])
        old_min = max(1, int(info.get("min_decryption_version") or 1))
        in_use = [self._version_of(k) for k in keep if k.startswith(f"{PREFIX}{self.label}:v")]
        new_min = min([*in_use, latest])
        if new_min <= old_min:
            return []
        self._call("POST", f"keys/{self.key}/config", {"min_decryption_version": new_min}, retry=False)
        return [self._kek_id(v) for v in range(old_min, new_min)]

    def _legacy(self, kek_id: str) -> KeyEncryptionPort:
        if self.legacy is None:
            raise crypto.DecryptionError(
                f"KEK {kek_id} is not a Vault Transit key and no file keyring is present to read it"
            )
        return self.legacy


def _is_ciphertext_error(errors: str) -> bool:
    """Vault's 400 answers that mean "this ciphertext is not genuine / not decryptable"."""
    lowered = errors.lower()
    return any(
        marker in lowered
        for marker in (
            "message authentication failed",
            "invalid ciphertext",
            "invalid ciphertext version",
            "unable to decode",
        )
    )
