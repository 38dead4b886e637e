"""Port to the platform attestation service (Play Integrity on Android, App Attest on iOS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class AttestationUnavailable(Exception):
    """The verifier could not be reached or answered nonsense (not a verdict on the device)."""


@dataclass(frozen=True)
class AttestationVerdict:
    valid: bool  # the token is genuine (issued by the platform service, for our app)
    nonce: str = ""  # the nonce the token was issued for
    device_ref: str = ""  # the device the platform says it attested (our device public id)
    device_ok: bool = False  # device integrity (not rooted / jailbroken, genuine OS)
    app_ok: bool = False  # the app binary is ours, unmodified
    reasons: list[str] = field(default_factory=list)


class AttestationVerifier(Protocol):
    name: str

    def verify(self, token: str, *, platform: str) -> AttestationVerdict:
        """Decode and check one attestation token; raise AttestationUnavailable when unreachable."""
        ...
