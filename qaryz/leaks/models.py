"""Data-leak measures (R-LEAK-1, Rules §36): a client's personal data marked as leaked, what the
mark set off – a repeat biometric identification at the next sensitive action, the check that the
phone number belongs to the client at the mobile operator, a verification call – and the embedded
mobile-operator simulator's subscriber base. Written only by ``services`` (and the simulator)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PhoneCheck(models.TextChoices):
    PENDING = "", _("Not checked yet")
    MATCH = "match", _("The number belongs to the client")
    MISMATCH = "mismatch", _("The number belongs to someone else")
    UNKNOWN = "unknown", _("The operator does not know the number")
    ERROR = "error", _("The operator did not answer")


class LeakMark(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="leak_marks")
    reason = models.TextField(_("reason"))
    source = models.CharField(_("how the MFO learnt of it"), max_length=200)
    marked_at = models.DateTimeField(_("marked at"))
    marked_by = models.CharField(max_length=150)
    # the repeat biometric identification (the first passed one after the mark)
    biometrics_repeated_at = models.DateTimeField(_("biometrics repeated at"), null=True, blank=True)
    biometrics_verification = models.CharField(max_length=64, blank=True)  # biometrics.Verification pk
    biometrics_action = models.CharField(max_length=40, blank=True)  # contract_signing | payout
    phone = models.CharField(_("phone checked"), max_length=12, blank=True)
    phone_check = models.CharField(_("phone check"), max_length=10, choices=PhoneCheck.choices, blank=True)
    phone_checked_at = models.DateTimeField(null=True, blank=True)
    phone_operator = models.CharField(max_length=60, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-marked_at", "-id"]
        permissions = [
            ("mark_leak", _("Can mark a client's data as leaked")),
            ("call_client", _("Can make verification calls about a leak")),
        ]
        constraints = [
            # one open mark per client
            models.UniqueConstraint(
                fields=["client"], condition=Q(closed_at__isnull=True), name="leak_one_open_mark_per_client"
            ),
            models.CheckConstraint(
                name="leak_phone_check_known",
                condition=Q(phone_check__in=["", "match", "mismatch", "unknown", "error"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.marked_at:%d.%m.%Y}"


class CallTask(models.Model):
    """The verification call: the script tells the client about the leak and recommends a
    voluntary refusal of loans."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To call")
        DONE = "done", _("Call made")
        UNREACHABLE = "unreachable", _("Client not reached")

    leak = models.OneToOneField(LeakMark, on_delete=models.PROTECT, related_name="call")
    language = models.CharField(_("language of the call"), max_length=2)
    script = models.TextField(_("script"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.TextField(_("outcome"), blank=True)
    refusal_recommended = models.BooleanField(
        _("a voluntary refusal of loans was recommended"), default=False
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["status", "id"]
        constraints = [
            models.CheckConstraint(
                name="leak_call_status_known", condition=Q(status__in=["pending", "done", "unreachable"])
            ),
            models.CheckConstraint(
                name="leak_call_done_recommends_refusal",
                condition=~Q(status="done") | Q(refusal_recommended=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leak_id}: {self.status}"


class SimulatedSubscriber(models.Model):
    """The embedded mobile operator's subscriber base: which IIN each number is registered to."""

    phone = models.CharField(max_length=12, unique=True)
    iin = models.CharField(max_length=12)
    operator = models.CharField(max_length=60, default="Demo Mobile")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.phone


class SimulatedQuery(models.Model):
    """Every question the embedded operator was asked, as a real operator would log it."""

    phone = models.CharField(max_length=12)
    iin = models.CharField(max_length=12)
    result = models.CharField(max_length=10)
    asked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.phone} {self.result}"
