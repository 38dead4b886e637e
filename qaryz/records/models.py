"""Tables of the records room: the audit trail (R-AUD-1, R-SEC-1), its signed checkpoints, the
document vault (R-ARCH-1, R-INT-1, R-3P-1) and receipts (R-RCPT-1).

The audit trail and checkpoint tables are append-only: triggers created in the migrations make
the database refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL). Every audit row carries the
SHA-256 of its canonical form chained to the previous row (see ``chain.py``).

Records imports no other room: owners, actors and targets are kept as ("app.model", pk) pairs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Category(models.TextChoices):
        BUSINESS = "business", _("Business")
        SECURITY = "security", _("Security")

    class ActorType(models.TextChoices):
        STAFF = "staff", _("Staff")
        CLIENT = "client", _("Client")
        SYSTEM = "system", _("System")
        API = "api", _("API client")

    # Monotonic sequence assigned under the chain lock: 1, 2, 3 … without gaps, so a deleted
    # row shows as a gap even before its hash link is checked.
    seq = models.BigIntegerField(primary_key=True)
    # UTC microseconds since the epoch; an integer so the hashed form never depends on how a
    # database renders timestamps. Never decreases along the chain.
    ts = models.BigIntegerField()
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    action = models.CharField(_("action"), max_length=100)
    actor_type = models.CharField(_("actor type"), max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(_("actor id"), max_length=64, blank=True, default="")
    actor_label = models.CharField(_("actor"), max_length=150, blank=True, default="")
    target_type = models.CharField(_("object type"), max_length=100, blank=True, default="")
    target_id = models.CharField(_("object id"), max_length=64, blank=True, default="")
    ip = models.CharField(_("IP address"), max_length=45, blank=True, default="")
    user_agent = models.CharField(_("device"), max_length=300, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=16, blank=True, default="")
    request_id = models.CharField(_("request id"), max_length=32, blank=True, default="")
    data = models.TextField(_("details"), blank=True, default="{}")  # canonical JSON text
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["category", "seq"], name="records_audit_cat_seq"),
            models.Index(fields=["target_type", "target_id"], name="records_audit_target"),
            models.Index(fields=["actor_type", "actor_id"], name="records_audit_actor"),
            models.Index(fields=["ts"], name="records_audit_ts"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="records_audit_seq_positive"),
            models.CheckConstraint(
                condition=models.Q(category__in=["business", "security"]), name="records_audit_category"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromtimestamp(self.ts / 1_000_000, tz=UTC)


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence and hash.

    Every append moves it forward in the same transaction: on PostgreSQL one ``UPDATE … SET
    prev_hash = hash, seq = seq + 1, hash = sha256(…) RETURNING`` statement (the row lock it takes
    serialises writers; a waiting writer re-evaluates the new hash on the committed head), on
    SQLite inside an IMMEDIATE transaction (which serialises writers anyway). This keeps the chain
    linear under concurrent writers and lets ``verify_audit`` notice a truncated tail.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    ts = models.BigIntegerField(default=0)
    # The hash before the last append: how the single UPDATE … RETURNING hands the previous hash
    # back (RETURNING only sees new values). Meaningless between appends; never verified.
    prev_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="records_chain_head_single")]

    def __str__(self) -> str:
        return f"head #{self.seq}"


class AuditCheckpoint(models.Model):
    """The chain head at some moment, signed with the MFO's Ed25519 key (append-only)."""

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    ts = models.BigIntegerField()
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)  # base64 of the 64-byte Ed25519 signature

    class Meta:
        ordering = ["-seq", "-id"]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"


class StoredDocument(models.Model):
    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Sent to the client")
        INBOUND = "inbound", _("Received from the client")
        INTERNAL = "internal", _("Internal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=60)
    media_type = models.CharField(_("media type"), max_length=120)
    filename = models.CharField(_("file name"), max_length=255, blank=True, default="")
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=16, default="web")
    owner_type = models.CharField(max_length=100, blank=True, default="")
    owner_id = models.CharField(max_length=64, blank=True, default="")
    # Free text naming the business object whose obligations drive retention, e.g.
    # "lending.contract:42"; see services.set_obligations_end.
    reference = models.CharField(_("reference"), max_length=120, blank=True, default="")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)  # of the plaintext, checked on every read (R-INT-1)
    storage_name = models.CharField(max_length=255, unique=True)
    kek_id = models.CharField(max_length=40)
    wrapped_key = models.BinaryField()  # the per-document AES-256 key, wrapped by the KEK
    created_at = models.DateTimeField(auto_now_add=True)
    obligations_end = models.DateField(null=True, blank=True)
    retention_until = models.DateField(_("kept until"), null=True, blank=True)
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.CharField(max_length=300, blank=True, default="")
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stored document")
        verbose_name_plural = _("stored documents")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner_type", "owner_id"], name="records_doc_owner"),
            models.Index(fields=["reference"], name="records_doc_reference"),
            models.Index(fields=["retention_until"], name="records_doc_retention"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=["outbound", "inbound", "internal"]),
                name="records_doc_direction",
            ),
            models.CheckConstraint(condition=models.Q(size__gte=0), name="records_doc_size"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class Receipt(models.Model):
    """Proof of sending/receiving a client document (R-RCPT-1): canonical JSON signed by the MFO."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.OneToOneField(StoredDocument, on_delete=models.PROTECT, related_name="receipt")
    owner_type = models.CharField(max_length=100, blank=True, default="")
    owner_id = models.CharField(max_length=64, blank=True, default="")
    payload = models.TextField()  # canonical JSON that was signed
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=32)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="records_receipt_owner")]

    def __str__(self) -> str:
        return f"receipt {self.id}"


class FieldKey(models.Model):
    """A data key of the columns encrypted at rest (``qaryz.core.encrypted``, R-3P-1), kept only
    wrapped by the vault's KEK. ``purpose`` "field" keys encrypt values (the newest is current; older
    ones still open what they encrypted); the single "index" key keys the blind indexes."""

    class Purpose(models.TextChoices):
        FIELD = "field", _("Column encryption")
        INDEX = "index", _("Blind index")

    key_id = models.CharField(max_length=24, primary_key=True)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    kek_id = models.CharField(max_length=40)
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("column data key")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["field", "index"]), name="records_fieldkey_purpose"
            ),
            models.UniqueConstraint(
                fields=["purpose"], condition=models.Q(purpose="index"), name="records_one_index_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.key_id}"
