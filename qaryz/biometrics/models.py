"""Liveness sessions, verifications and face references (R-LIVE-1, R-ONB-4, R-ONB-8/9, R-AUTH-5)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from qaryz.clients.models import Client


class Purpose(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    RECOVERY = "recovery", _("Password recovery")
    CHANGE_PHONE = "change_phone", _("Change of phone number")
    CHANGE_BANK = "change_bank", _("Change of bank account")
    CONTRACT_SIGNING = "contract_signing", _("Contract signing")
    MERCHANT_PAYOUT = "merchant_payout", _("Payout to a merchant")
    # the repeat identification a data-leak mark asks for before a payout (R-LEAK-1, qaryz.leaks)
    PAYOUT = "payout", _("Payout of the microcredit")


class LivenessSession(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PROCESSING = "processing", _("Processing")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="liveness_sessions")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    # Comma-separated challenge names; unique per client, so no sequence is ever reused.
    challenges = models.CharField(max_length=120)
    nonce = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10, default="web")
    baseline_ms = models.PositiveIntegerField()
    step_ms = models.PositiveIntegerField()
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Per-frame measurements, per-step results, distances (a copy also goes to the vault).
    evidence = models.JSONField(default=dict, blank=True)
    evidence_document = models.CharField(max_length=64, blank=True)  # vault id of the evidence JSON

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "challenges"], name="liveness_sequence_never_reused"),
            models.CheckConstraint(
                name="liveness_expiry_after_start", condition=models.Q(expires_at__gt=models.F("created_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"liveness {self.pk} ({self.status})"

    @property
    def challenge_list(self) -> list[str]:
        return self.challenges.split(",") if self.challenges else []


class SeenFrame(models.Model):
    """Digest of every submitted frame: the same bytes in another session are a replay."""

    digest = models.CharField(max_length=64, unique=True)
    session = models.ForeignKey(LivenessSession, on_delete=models.CASCADE, related_name="frames")

    def __str__(self) -> str:
        return self.digest


class FaceReference(models.Model):
    """A face the selfie is compared with: the ID-document photo or the registration selfie."""

    class Source(models.TextChoices):
        DOCUMENT = "document", _("Identity document photo")
        REGISTRATION = "registration", _("Registration photo")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="face_references")
    source = models.CharField(max_length=20, choices=Source.choices)
    descriptor = models.BinaryField()
    active = models.BooleanField(default=True)
    mrz = models.JSONField(default=dict, blank=True)
    comparison = models.JSONField(default=dict, blank=True)
    image_document = models.CharField(max_length=64, blank=True)  # vault id of the photo
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "source"],
                condition=models.Q(active=True),
                name="one_active_face_reference_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} face of client {self.client_id}"


class Verification(models.Model):
    """Outcome of one liveness session plus the 1:1 match; consumed once by the flow that asked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="biometric_verifications")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    session = models.OneToOneField(LivenessSession, on_delete=models.PROTECT, related_name="verification")
    provider = models.CharField(max_length=20)
    passed = models.BooleanField(default=False)
    reason = models.CharField(max_length=40, blank=True)
    similarity_document = models.FloatField(null=True, blank=True)  # percent
    similarity_registration = models.FloatField(null=True, blank=True)
    threshold = models.FloatField()
    provider_reference = models.CharField(max_length=100, blank=True)
    best_frame_document = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "purpose", "created_at"])]
        constraints = [
            models.CheckConstraint(
                name="only_passed_verification_consumed",
                condition=models.Q(consumed_at__isnull=True) | models.Q(passed=True),
            ),
            models.CheckConstraint(
                name="verification_similarity_percent",
                condition=(
                    models.Q(similarity_document__isnull=True)
                    | models.Q(similarity_document__gte=0, similarity_document__lte=100)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"verification {self.pk} ({'passed' if self.passed else 'failed'})"

    @property
    def similarity(self) -> float | None:
        """The weakest of the comparisons made (what the decision rests on)."""
        values = [v for v in (self.similarity_document, self.similarity_registration) if v is not None]
        return min(values) if values else None
