"""Outside systems the records room depends on."""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class KeyServiceError(Exception):
    """The key service (KMS/HSM) could not be used: unreachable, too slow, refused the token,
    sealed, misconfigured. Not an integrity failure: the document may be perfectly intact."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KeyEncryptionPort(Protocol):
    """Holds the MFO's key-encryption keys (file keyring embedded; a KMS/HSM in production).

    Data keys never leave the MFO in clear: third-party storage sees only ciphertext (R-3P-1).
    """

    def current_id(self) -> str: ...

    def wrap(self, dek: bytes) -> tuple[str, bytes]:
        """Wrap a data key under the current KEK; returns (kek_id, wrapped)."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes: ...

    def rewrap(self, kek_id: str, wrapped: bytes) -> tuple[str, bytes]:
        """Wrap the same data key under the current KEK (a KMS does it without revealing it)."""
        ...

    def rotate(self) -> str:
        """Create a new current KEK and return its id (older ones stay usable until retired)."""
        ...

    def retire(self, keep: set[str]) -> list[str]:
        """Forget every KEK not in ``keep``; returns the ids removed."""
        ...


class SigningKeyPort(Protocol):
    """The MFO's Ed25519 signing key (receipts, audit checkpoints)."""

    def private_key(self) -> Ed25519PrivateKey: ...
