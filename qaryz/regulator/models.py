"""Channels through which microcredits are provided electronically – web resources, mobile apps,
terminals – with their service lists, and the notices to the authority about them (R-REG-1..2,
Rules §4–5). A channel opens, and a changed service list takes effect, only through a notice sent
at least 10 working days before. Written only by ``services``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Service(models.TextChoices):
    REGISTRATION = "registration", _("Registration in the personal cabinet")
    APPLICATION = "application", _("Applying for a microcredit")
    SIGNING = "signing", _("Signing the contract with biometrics and an EDS")
    PAYOUT = "payout", _("Disbursement of the microcredit")
    REPAYMENT = "repayment", _("Repayment of the microcredit")
    EARLY_REPAYMENT = "early_repayment", _("Early repayment")
    AMENDMENTS = "amendments", _("Changing the terms of the contract")
    INFORMATION = "information", _("Information on the loan, its schedule and payments")
    LETTERS = "letters", _("Letters between the client and the MFO")
    CHANGE_DETAILS = "change_details", _("Changing the phone number and the bank account")


class Channel(models.Model):
    class Kind(models.TextChoices):
        WEB = "web", _("Web resource")
        MOBILE_APP = "mobile_app", _("Mobile application")
        TERMINAL = "terminal", _("Terminal")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name of the channel"), max_length=200)
    address = models.CharField(_("address, store listing or location of the terminal"), max_length=300)
    security_procedures = models.TextField(
        _("approved security procedures (one document per line)"),
    )
    enabled = models.BooleanField(_("open to clients"), default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    live_notice = models.ForeignKey(
        "regulator.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        permissions = [
            ("manage_channel", _("Can configure channels and prepare notices to the authority")),
            ("open_channel", _("Can open a channel or put a change into effect")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="channel_kind_name_unique"),
            models.CheckConstraint(
                name="channel_kind_known", condition=Q(kind__in=["web", "mobile_app", "terminal"])
            ),
            # a channel is open only through a notice in effect (R-REG-1)
            models.CheckConstraint(
                name="channel_open_only_with_notice",
                condition=Q(enabled=False) | Q(live_notice__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChannelService(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="services")
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)

    class Meta:
        ordering = ["service"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "service"], name="channel_service_once"),
            models.CheckConstraint(name="channel_service_known", condition=Q(service__in=Service.values)),
        ]

    def __str__(self) -> str:
        return self.get_service_display()


class Notice(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", _("Opening of a channel")
        CHANGE = "change", _("Change of the notified information")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # what was notified, as it was
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    services = models.JSONField(default=list)
    security_procedures = models.TextField()
    fingerprint = models.CharField(max_length=64)
    effective_on = models.DateField(_("planned date"))
    send_by = models.DateField(_("to be sent by"))
    text_ru = models.TextField()
    text_kk = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    sent_reference = models.CharField(_("outgoing number"), max_length=120, blank=True)
    in_effect_at = models.DateTimeField(_("in effect since"), null=True, blank=True)
    # sent by the system's e-mail (messaging.mail): when, to whom, the message id; every attempt,
    # failed ones too, is a messaging.MailDelivery with reference "regulator.notice:<id>"
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    message_id = models.CharField(_("message id"), max_length=250, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="regnotice_kind_known", condition=Q(kind__in=["new", "change"])),
            models.CheckConstraint(
                name="regnotice_sent_with_reference",
                condition=Q(sent_on__isnull=True) | ~Q(sent_reference=""),
            ),
            models.CheckConstraint(
                name="regnotice_effect_after_sending",
                condition=Q(in_effect_at__isnull=True) | Q(sent_on__isnull=False),
            ),
            models.CheckConstraint(
                name="regnotice_send_before_effect", condition=Q(send_by__lt=models.F("effective_on"))
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"REG-{self.created_at:%Y}-{self.pk:04d}"
