"""HTTP attestation verifier: the MFO's attestation gateway in front of Play Integrity / App Attest.

Contract (docs/devices.md): ``POST {DEVICE_ATTESTATION_URL}`` with JSON
``{"token": "...", "platform": "android" | "ios", "package": DEVICE_APP_PACKAGE}`` and
``Authorization: Bearer <DEVICE_ATTESTATION_TOKEN>``; a 200 answer with JSON
``{"valid": bool, "nonce": str, "device_ref": str, "device_ok": bool, "app_ok": bool,
"reasons": [str]}``. Anything else raises AttestationUnavailable (the report is then refused
as "could not be verified", never taken as a pass).
"""

from __future__ import annotations

import httpx
from django.conf import settings

from qaryz.devices.ports import AttestationUnavailable, AttestationVerdict


class HttpAttestationVerifier:
    name = "http"

    def __init__(self, url: str | None = None, *, token: str | None = None, timeout: float = 5.0) -> None:
        self.url = url or settings.DEVICE_ATTESTATION_URL
        self.token = token if token is not None else settings.DEVICE_ATTESTATION_TOKEN
        self.timeout = timeout

    def verify(self, token: str, *, platform: str) -> AttestationVerdict:
        if not self.url:
            raise AttestationUnavailable("attestation verifier URL is not configured")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"token": token, "platform": platform, "package": settings.DEVICE_APP_PACKAGE}
        try:
            response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise AttestationUnavailable(f"verifier unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise AttestationUnavailable(f"verifier answered {response.status_code}")
        try:
            data = response.json()
            return AttestationVerdict(
                valid=bool(data["valid"]),
                nonce=str(data.get("nonce", "")),
                device_ref=str(data.get("device_ref", "")),
                device_ok=bool(data.get("device_ok", False)),
                app_ok=bool(data.get("app_ok", False)),
                reasons=[str(r) for r in data.get("reasons", [])][:20],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AttestationUnavailable("verifier answered malformed JSON") from exc
