"""Embedded attestation simulator: plays Google Play Integrity / Apple App Attest for the demo and tests.

``attest(nonce, device_ref)`` is the device side (what the platform SDK returns to the app): it
issues a token for the nonce and keeps it. ``verify`` is the server side: only tokens it issued
are valid, each names its nonce and device, and a device it was told is compromised
(``mark_compromised``) gets a failing verdict – as a rooted phone gets from the real service.
"""

from __future__ import annotations

import secrets

from django.utils import timezone

from qaryz.devices.ports import AttestationVerdict


class EmbeddedAttestationVerifier:
    name = "embedded"

    def attest(self, nonce: str, device_ref: str, *, platform: str = "android") -> str:
        from qaryz.devices.models import SimulatedAttestation

        token = "sim." + secrets.token_urlsafe(32)
        SimulatedAttestation.objects.create(
            token=token, nonce=nonce, device_ref=device_ref, platform=platform
        )
        return token

    def mark_compromised(self, device_ref: str, reasons: list[str] | None = None) -> None:
        from qaryz.devices.models import SimulatedCompromise

        SimulatedCompromise.objects.update_or_create(
            device_ref=device_ref, defaults={"reasons": reasons or ["device_integrity"]}
        )

    def clear(self, device_ref: str) -> None:
        from qaryz.devices.models import SimulatedCompromise

        SimulatedCompromise.objects.filter(device_ref=device_ref).delete()

    def verify(self, token: str, *, platform: str) -> AttestationVerdict:
        from qaryz.devices.models import SimulatedAttestation, SimulatedCompromise

        issued = SimulatedAttestation.objects.filter(token=token).first()
        if issued is None:
            return AttestationVerdict(valid=False, reasons=["unknown_token"])
        if issued.platform != platform:
            return AttestationVerdict(valid=False, reasons=["platform"])
        SimulatedAttestation.objects.filter(pk=issued.pk).update(verified_at=timezone.now())
        compromise = SimulatedCompromise.objects.filter(device_ref=issued.device_ref).first()
        reasons = list(compromise.reasons) if compromise else []
        return AttestationVerdict(
            valid=True,
            nonce=issued.nonce,
            device_ref=issued.device_ref,
            device_ok=compromise is None,
            app_ok=compromise is None or "app_integrity" not in reasons,
            reasons=reasons,
        )
