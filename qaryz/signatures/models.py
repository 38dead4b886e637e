"""Signing requests and signature verifications (R-ONB-4, R-ONB-6, R-SIGN-1, R-AUTH-5).

A SigningRequest holds the exact bytes the client must sign (a canonical envelope with the
document's hash, purpose, the client's IIN/BIN, a server nonce and an expiry). Each submitted
signature leaves a SignatureVerification row, accepted or not; the database allows one accepted
verification per request and accepts a given signature value only once.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

PURPOSES = [
    ("registration", _("Registration")),
    ("recovery", _("Password recovery")),
    ("change_phone", _("Change of mobile number")),
    ("change_bank", _("Change of bank details")),
    ("contract_signing", _("Contract signing")),
    ("merchant_payout", _("Payout to a partner")),
]


class SigningRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the signature")
        ACCEPTED = "accepted", _("Signed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="signing_requests")
    purpose = models.CharField(_("purpose"), max_length=32, choices=PURPOSES)
    title = models.CharField(_("title"), max_length=300)
    document = models.BinaryField(_("document"))
    document_media_type = models.CharField(max_length=100, default="application/octet-stream")
    document_sha256 = models.CharField(max_length=64)
    payload = models.BinaryField(_("bytes to sign"))  # the canonical envelope, signed as is
    payload_sha256 = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64, unique=True)
    expected_signer_iin = models.CharField(max_length=12)
    expected_bin = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="sigreq_status_valid", condition=Q(status__in=["pending", "accepted"])
            ),
            models.CheckConstraint(
                name="sigreq_accepted_at_iff_accepted",
                condition=Q(status="accepted", accepted_at__isnull=False)
                | Q(status="pending", accepted_at__isnull=True),
            ),
            models.CheckConstraint(
                name="sigreq_expiry_after_creation", condition=Q(expires_at__gt=models.F("created_at"))
            ),
            models.CheckConstraint(
                name="sigreq_signer_iin_12_digits", condition=Q(expected_signer_iin__regex=r"^[0-9]{12}$")
            ),
        ]
        indexes = [models.Index(fields=["client", "purpose", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class SignatureVerification(models.Model):
    signing_request = models.ForeignKey(
        SigningRequest, on_delete=models.PROTECT, related_name="verifications"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="signature_verifications"
    )
    channel = models.CharField(max_length=16, default="web")  # web, api, demo
    accepted = models.BooleanField(default=False)
    reason = models.CharField(max_length=32, blank=True)
    detail = models.TextField(blank=True)
    signature_sha256 = models.CharField(max_length=64)
    signer_iin = models.CharField(max_length=12, blank=True)
    signer_bin = models.CharField(max_length=12, blank=True)
    signer_name = models.CharField(max_length=300, blank=True)
    certificate_serial = models.CharField(max_length=64, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    signing_time = models.DateTimeField(null=True, blank=True)
    revocation_source = models.CharField(max_length=8, blank=True)
    result = models.JSONField(default=dict)
    signature = models.BinaryField()  # DER CMS as received (after base64 decoding)
    ocsp_response = models.BinaryField(null=True, blank=True)
    # Vault documents (records room) holding the artefacts of an accepted signature (R-ARCH-1).
    vault_documents = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["signing_request"], condition=Q(accepted=True), name="sigver_one_accepted_per_request"
            ),
            models.UniqueConstraint(
                fields=["signature_sha256"], condition=Q(accepted=True), name="sigver_signature_accepted_once"
            ),
            models.CheckConstraint(
                name="sigver_reason_iff_rejected",
                condition=Q(accepted=True, reason="") | (Q(accepted=False) & ~Q(reason="")),
            ),
        ]
        indexes = [models.Index(fields=["signature_sha256"])]

    def __str__(self) -> str:
        return f"{self.signing_request_id}: {'accepted' if self.accepted else self.reason}"
