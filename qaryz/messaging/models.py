"""SMS delivery log, the embedded SMS outbox (demo phone network), the outgoing-mail log and the
embedded mail server's mailboxes, and in-cabinet notifications."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SmsDelivery(models.Model):
    """One SMS handed to the gateway. One-time codes are masked here: the log never holds a secret."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", pgettext_lazy("messaging", "Failed")

    phone = models.CharField(max_length=16)
    purpose = models.CharField(max_length=40)
    text_masked = models.TextField()
    adapter = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("SMS delivery")
        permissions = [("view_sms_outbox", _("Can view the demo SMS outbox"))]
        constraints = [
            models.CheckConstraint(name="sms_status", condition=models.Q(status__in=["sent", "failed"]))
        ]

    def __str__(self) -> str:
        return f"SMS {self.purpose} …{self.phone[-4:]} {self.status}"


class EmbeddedSms(models.Model):
    """What the simulated phone network delivered (embedded adapter only): the demo's handsets."""

    phone = models.CharField(max_length=16, db_index=True)
    text = models.TextField()
    purpose = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("embedded SMS outbox message")

    def __str__(self) -> str:
        return f"SMS to {self.phone}"


class MailDelivery(models.Model):
    """One attempt to send an e-mail to an outside party (``messaging.mail.send_mail``): when, to
    whom, the message id the server accepted it under or its error. Never changed afterwards."""

    class Status(models.TextChoices):
        SENT = "sent", pgettext_lazy("messaging mail", "Sent")
        FAILED = "failed", pgettext_lazy("messaging mail", "Not delivered")

    to = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField()
    reference = models.CharField(max_length=120, db_index=True)  # e.g. "incidents.notice:5"
    adapter = models.CharField(max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    message_id = models.CharField(_("message id"), max_length=250, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing e-mail")
        permissions = [("view_mail_outbox", _("Can view the outgoing mail"))]
        constraints = [
            models.CheckConstraint(name="mail_status", condition=models.Q(status__in=["sent", "failed"])),
            # a sent message has its id, a failed one its error
            models.CheckConstraint(
                name="mail_sent_has_id_failed_has_error",
                condition=(models.Q(status="sent") & ~models.Q(message_id=""))
                | (models.Q(status="failed") & ~models.Q(error="")),
            ),
        ]

    def __str__(self) -> str:
        return f"mail {self.reference} {self.status}"


class EmbeddedMail(models.Model):
    """What the simulated mail server accepted (embedded adapter only): the demo's mailboxes."""

    to = models.CharField(max_length=254, db_index=True)
    sender = models.CharField(max_length=254)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    message_id = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("embedded mailbox message")

    def __str__(self) -> str:
        return f"mail to {self.to}"


class Notification(models.Model):
    """In-cabinet message to a client (R-AUTH-6); also sent by SMS."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The event a status notification announces (e.g. "lending.application:7:approved"): at most
    # one notification per event, so a repeated transition or a retried job notifies once.
    key = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="notification_key_once")
        ]

    def __str__(self) -> str:
        return self.subject


class Letter(models.Model):
    """A written notice to a client (delay notice, suspension, write-off, …): the PDF kept in the
    vault with its signed receipt, shown in the cabinet and announced by SMS."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=40)  # e.g. "delay_notice"; staff and clients read ``subject``
    subject = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(max_length=5)
    reference = models.CharField(max_length=120, blank=True)  # the business object, e.g. servicing.loan:7
    document_id = models.UUIDField()  # records.StoredDocument (vault copy with receipt)
    notification = models.OneToOneField(Notification, on_delete=models.PROTECT, related_name="letter")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reference"], name="letter_reference")]

    def __str__(self) -> str:
        return self.subject


class EmbeddedPush(models.Model):
    """What the simulated push service delivered (embedded adapter only), per device token."""

    device_token = models.CharField(max_length=400, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("embedded push message")

    def __str__(self) -> str:
        return f"push to …{self.device_token[-6:]}"
