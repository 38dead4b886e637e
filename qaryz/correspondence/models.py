"""Letters between a client and the MFO (R-CAB-7): threads, their messages and attachments.

Every message's text and every attachment is also kept in the records vault (owner: the client,
reference ``correspondence.thread:<id>``), encrypted and with its signed receipt, so the
correspondence is archived with the client's other documents; these rows are the index.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    APPLICATION = "application", _("Application for a microcredit")
    CONTRACT = "contract", _("Contract")
    REPAYMENT = "repayment", _("Repayment and debt")
    PAYOUT = "payout", _("Payout of the microcredit")
    PERSONAL_DATA = "personal_data", _("My personal data")
    COMPLAINT = "complaint", _("Complaint")
    OTHER = "other", _("Other question")


class Side(models.TextChoices):
    CLIENT = "client", _("Client")
    STAFF = "staff", _("MFO")


class Thread(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="threads")
    subject = models.CharField(_("subject"), max_length=200)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_threads",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_message_at = models.DateTimeField(db_index=True)
    # Set while a client's message waits for the MFO's answer: since when, and the answer's
    # deadline under the rule in force when the wait began (kept, so a changed setting does not
    # move it). Cleared by the staff's reply.
    waiting_since = models.DateTimeField(null=True, blank=True, db_index=True)
    reply_due = models.DateField(null=True, blank=True, db_index=True)
    reply_rule = models.CharField(max_length=30, blank=True)  # e.g. "15 working"

    class Meta:
        verbose_name = _("letter thread")
        verbose_name_plural = _("letter threads")
        ordering = ["-last_message_at", "-id"]
        permissions = [("answer_thread", _("Can answer clients' letters and assign them"))]
        constraints = [
            models.CheckConstraint(
                name="thread_topic_known",
                condition=models.Q(topic__in=[value for value, _label in Topic.choices]),
            ),
            models.CheckConstraint(
                name="thread_due_only_while_waiting",
                condition=models.Q(waiting_since__isnull=False)
                | models.Q(reply_due__isnull=True, waiting_since__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def reference(self) -> str:
        return f"correspondence.thread:{self.pk}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(  # the staff member who wrote a staff message
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = models.TextField(blank=True)
    channel = models.CharField(max_length=16, default="web")  # web, api, backoffice, demo
    document_id = models.UUIDField()  # records.StoredDocument: the text as written (vault copy)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)  # when the other side first read it

    class Meta:
        verbose_name = _("letter")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="message_side_known", condition=models.Q(side__in=["client", "staff"])
            ),
            models.CheckConstraint(
                name="message_client_has_no_staff_author",
                condition=~models.Q(side="client", author__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["thread", "side", "read_at"], name="message_unread")]

    def __str__(self) -> str:
        return f"{self.side} message in thread {self.thread_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    document_id = models.UUIDField(unique=True)  # records.StoredDocument (encrypted, with receipt)
    filename = models.CharField(max_length=255)
    media_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("attachment")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="attachment_type_allowed",
                condition=models.Q(media_type__in=["application/pdf", "image/jpeg", "image/png"]),
            )
        ]

    def __str__(self) -> str:
        return self.filename
