"""Ports of the signatures room to the outside world (pure typing; no Django import).

RevocationChecker: the certification authority's revocation service (NCA RK: OCSP at
ocsp.pki.gov.kz, CRLs at crl.pki.gov.kz). Adapters: ``adapters.http.HttpRevocationChecker``
(real OCSP + CRL over HTTP) and ``adapters.embedded.EmbeddedRevocationChecker`` (the same
protocol code answered in-process by the test PKI's responder).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cryptography import x509


class RevocationState(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RevocationStatus:
    state: RevocationState
    source: str  # "ocsp", "crl" or "" when nothing answered
    checked_at: datetime
    revoked_at: datetime | None = None
    detail: str = ""
    # The DER OCSP response that proved the status, kept with the signature (R-ARCH-1).
    ocsp_response: bytes | None = None
    from_cache: bool = False


class RevocationChecker(Protocol):
    def check(
        self, certificate: x509.Certificate, issuer: x509.Certificate, *, now: datetime
    ) -> RevocationStatus:
        """Status of ``certificate`` issued by ``issuer``; UNKNOWN when no answer can be trusted."""
        ...
