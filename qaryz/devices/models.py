"""Mobile app instances bound to a device key (R-MOB-1), their token families, integrity reports
and the location of money operations.

A ``Device`` is one app installation of one client: the public half of a key the app keeps in
the OS keystore (JWK and its RFC 7638 thumbprint ``jkt``). Access tokens issued to it are
ordinary ``access.ClientSession`` rows (only their hash is stored) linked here by a
``DeviceSession``; refresh tokens rotate inside a ``TokenFamily``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# What each integrity reason means, for staff and client pages (the API gives the codes).
INTEGRITY_REASONS = {
    "rooted": _("root or jailbreak"),
    "hooking": _("hooking framework"),
    "emulator": _("emulator"),
    "remote_control": _("remote control"),
    "screen_sharing": _("screen sharing"),
    "attestation_missing": _("no attestation"),
    "attestation_nonce": _("attestation for an unknown or used nonce"),
    "attestation_invalid": _("attestation not genuine"),
    "attestation_mismatch": _("attestation of another device"),
    "attestation_device": _("platform says the device is not genuine"),
    "attestation_app": _("platform says the app is modified"),
    "attestation_unavailable": _("attestation could not be verified"),
}


class Device(models.Model):
    class Integrity(models.TextChoices):
        UNKNOWN = "unknown", _("not checked yet")
        OK = "ok", _("no risk found")
        COMPROMISED = "compromised", _("at risk")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="devices")
    public_id = models.CharField(max_length=32, unique=True)
    jkt = models.CharField(max_length=64)
    public_jwk = models.JSONField()
    alg = models.CharField(max_length=10)
    platform = models.CharField(max_length=10, blank=True)
    app_version = models.CharField(max_length=30, blank=True)
    name = models.CharField(max_length=100, blank=True)
    push_token = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=30, blank=True)
    integrity_status = models.CharField(max_length=12, choices=Integrity.choices, default=Integrity.UNKNOWN)
    integrity_reasons = models.JSONField(default=list, blank=True)
    integrity_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "jkt"], condition=models.Q(revoked_at__isnull=True), name="device_key_once"
            ),
            models.CheckConstraint(
                name="device_integrity_status",
                condition=models.Q(integrity_status__in=["unknown", "ok", "compromised"]),
            ),
            models.CheckConstraint(name="device_alg", condition=models.Q(alg__in=["ES256", "EdDSA"])),
        ]

    def __str__(self) -> str:
        return f"device {self.public_id} of client {self.client_id}"

    @property
    def integrity_reason_labels(self) -> list[str]:
        return [str(INTEGRITY_REASONS.get(r, r)) for r in self.integrity_reasons or []]


class TokenFamily(models.Model):
    """The chain of refresh tokens from one sign-in; ``generation`` is the newest issued."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="families")
    generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"token family {self.pk} (generation {self.generation})"


class RefreshToken(models.Model):
    """One generation of a family; only the SHA-256 of the token is stored. ``used_at`` is set
    when it is exchanged (or superseded): a second use is a reuse."""

    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="refresh_tokens")
    generation = models.PositiveIntegerField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["family", "generation"], name="refresh_generation_once"),
        ]

    def __str__(self) -> str:
        return f"refresh token {self.family_id}/{self.generation}"


class DeviceSession(models.Model):
    """An access token (a ClientSession) bound to a device key: refused without a proof of it."""

    session = models.OneToOneField(
        "access.ClientSession", on_delete=models.CASCADE, related_name="device_binding"
    )
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="sessions")
    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="sessions")
    generation = models.PositiveIntegerField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"session {self.session_id} on {self.device_id}"


class ProofJti(models.Model):
    """Replay cache: the id of every proof accepted within the clock-skew window."""

    jkt = models.CharField(max_length=64)
    jti = models.CharField(max_length=100)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["jkt", "jti"], name="proof_jti_once")]

    def __str__(self) -> str:
        return f"proof {self.jti}"


class AttestationNonce(models.Model):
    """A one-off nonce the app passes to Play Integrity / App Attest before reporting."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="nonces")
    nonce = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"attestation nonce of device {self.device_id}"


class IntegrityReport(models.Model):
    """What the app reported and what the verifier said; the device's status follows the last one."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="integrity_reports")
    created_at = models.DateTimeField(auto_now_add=True)
    signals = models.JSONField(default=dict)
    attestation = models.JSONField(default=dict, blank=True)  # the verifier's verdict
    status = models.CharField(max_length=12, choices=Device.Integrity.choices)
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="integrity_report_status", condition=models.Q(status__in=["ok", "compromised"])
            )
        ]

    def __str__(self) -> str:
        return f"integrity report {self.pk} ({self.status})"


class OperationLocation(models.Model):
    """Where the device was for one money operation through the API, or that it did not say."""

    class Operation(models.TextChoices):
        APPLICATION = "application", _("application")
        SIGNING = "signing", _("contract signing")
        PAYOUT = "payout", _("payout request")
        REPAYMENT = "repayment", _("repayment")
        OTHER = "other", _("other money operation")

    class Status(models.TextChoices):
        REPORTED = "reported", _("location given")
        DENIED = "denied", _("permission refused")
        NOT_REPORTED = "not_reported", _("not sent (no bound device)")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="operation_locations")
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="locations"
    )
    operation = models.CharField(max_length=12, choices=Operation.choices)
    reference = models.CharField(max_length=60, blank=True)  # e.g. "application:12", "loan:5"
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    request_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="location_given_when_reported",
                condition=(
                    models.Q(status="reported", latitude__isnull=False, longitude__isnull=False)
                    | (~models.Q(status="reported") & models.Q(latitude__isnull=True, longitude__isnull=True))
                ),
            ),
            models.CheckConstraint(
                name="location_in_range",
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
            ),
            models.CheckConstraint(
                name="location_status", condition=models.Q(status__in=["reported", "denied", "not_reported"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.reference} ({self.status})"


# --- state of the embedded attestation simulator (adapters/embedded.py) ---------------------
class SimulatedAttestation(models.Model):
    """A token the simulated Play Integrity / App Attest service issued for a nonce."""

    token = models.CharField(max_length=80, unique=True)
    nonce = models.CharField(max_length=64)
    device_ref = models.CharField(max_length=64)
    platform = models.CharField(max_length=10)
    issued_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"simulated attestation for {self.device_ref}"


class SimulatedCompromise(models.Model):
    """The simulator was told this device is compromised: its verdicts fail."""

    device_ref = models.CharField(max_length=64, unique=True)
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"simulated compromise of {self.device_ref}"
