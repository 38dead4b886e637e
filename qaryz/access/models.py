"""Authentication state of clients and staff (R-AUTH-1..6, R-ACC-2).

Clients are not Django users: they authenticate through ClientCredential and their web sessions
are tracked in ClientSession, so that a password change can end every other session. Staff are
``auth.User`` (is_staff) with groups as roles and a StaffSecurity row for lockout and 2FA.
Secrets (passwords, one-time codes, bearer tokens) are stored only as hashes.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecondFactor(models.TextChoices):
    SMS = "sms", _("SMS code")
    TOTP = "totp", _("Authenticator app (TOTP)")
    WEBAUTHN = "webauthn", _("Security key (WebAuthn)")


class ClientCredential(models.Model):
    client = models.OneToOneField("clients.Client", on_delete=models.PROTECT, related_name="credential")
    password_hash = models.CharField(max_length=200)  # Django hasher string (Argon2)
    second_factor = models.CharField(max_length=10, choices=SecondFactor.choices, default=SecondFactor.SMS)
    totp_secret = models.CharField(max_length=64, blank=True)
    # Last accepted TOTP time step: a code is accepted once, never replayed (R-AUTH-5).
    totp_last_step = models.BigIntegerField(default=0)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("unlock_account", _("Can unlock locked accounts"))]
        constraints = [
            models.CheckConstraint(
                name="cred_second_factor",
                condition=models.Q(second_factor__in=["sms", "totp", "webauthn"]),
            ),
            models.CheckConstraint(
                name="cred_totp_needs_secret",
                condition=~models.Q(second_factor="totp") | ~models.Q(totp_secret=""),
            ),
        ]

    def __str__(self) -> str:
        return f"credential of client {self.client_id}"


class WebAuthnKey(models.Model):
    """A client's security key (WebAuthn credential) usable as the second factor (R-AUTH-1).

    Only public data is kept: the credential id and COSE public key from the registration, the
    authenticator's signature counter (refusing a counter that does not grow detects a cloned
    key), its transports (hints for the browser) and the client's label.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="webauthn_keys")
    credential_id = models.BinaryField(max_length=1023)
    # Unique lookup without indexing a binary column: base64url of the credential id.
    credential_id_b64 = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()  # COSE_Key bytes
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=60)
    aaguid = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="webauthn_sign_count_positive", condition=models.Q(sign_count__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"security key {self.name!r} of client {self.client_id}"


class OtpChallenge(models.Model):
    """A one-time code bound to a purpose and a phone (R-AUTH-5, R-ONB-8).

    ``code_hash`` is an HMAC under a key kept outside the database; the code itself is never stored.
    ``method=totp`` challenges carry no code: the client's authenticator app gives it.
    """

    class Purpose(models.TextChoices):
        REGISTRATION = "registration"
        LOGIN = "login"
        RECOVERY = "recovery"
        CHANGE_PHONE = "change_phone"
        STAFF_LOGIN = "staff_login"

    public_id = models.CharField(max_length=32, unique=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    phone = models.CharField(max_length=16)
    method = models.CharField(max_length=10, choices=SecondFactor.choices, default=SecondFactor.SMS)
    code_hash = models.CharField(max_length=64, blank=True)
    # What the code unlocks: registration data, the client or staff user logging in, etc.
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Continuation of a verified challenge (API registration): hash of a one-off token.
    continuation_hash = models.CharField(max_length=64, blank=True, db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "created_at"])]
        constraints = [
            models.CheckConstraint(name="otp_attempts_bounded", condition=models.Q(attempts__lte=10)),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code …{self.phone[-4:]}"


class ClientSession(models.Model):
    """A client's signed-in web session or API token (device, IP, time) – ended on password change."""

    class Kind(models.TextChoices):
        WEB = "web"
        API = "api"

    class Scope(models.TextChoices):
        FULL = "full"
        RECOVERY = "recovery"  # may only finish password recovery

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.WEB)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.FULL)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)  # Django session (web)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)  # SHA-256 of bearer (api)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} session {self.pk} of client {self.client_id}"


class StaffSecurity(models.Model):
    """Lockout counter, phone and TOTP secret of a staff user (mandatory second factor, R-ACC-2)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security")
    phone = models.CharField(max_length=16, blank=True)
    second_factor = models.CharField(max_length=10, choices=SecondFactor.choices, default=SecondFactor.SMS)
    totp_secret = models.CharField(max_length=64, blank=True)
    # Last accepted TOTP time step: a code is accepted once, never replayed (R-AUTH-5).
    totp_last_step = models.BigIntegerField(default=0)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("manage_staff", _("Can manage staff accounts and roles"))]
        constraints = [
            models.CheckConstraint(
                name="staff_second_factor_usable",
                condition=(models.Q(second_factor="sms") & ~models.Q(phone=""))
                | (models.Q(second_factor="totp") & ~models.Q(totp_secret="")),
            ),
        ]

    def __str__(self) -> str:
        return f"security of staff {self.user_id}"


class StepUp(models.Model):
    """A flow that needs biometrics and EDS: finishing registration, changing phone or bank (R-ONB-4, R-ONB-6)."""

    class Purpose(models.TextChoices):
        REGISTRATION = "registration"
        CHANGE_PHONE = "change_phone"
        CHANGE_BANK = "change_bank"

    class Status(models.TextChoices):
        OPEN = "open"
        DONE = "done"
        CANCELLED = "cancelled"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="step_ups")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payload = models.JSONField(default=dict, blank=True)  # new phone / bank details
    signing_request_ref = models.CharField(max_length=64, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "purpose"],
                condition=models.Q(status="open"),
                name="one_open_step_up_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk} ({self.status})"
