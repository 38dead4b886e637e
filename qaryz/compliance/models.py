"""AML/CFT screening tables (R-PRE-1, R-AML-1): lists, their imported versions and entries,
every screening with the list versions it used, and portfolio re-screening runs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qaryz.clients.models import Client


class ScreeningList(models.Model):
    class Kind(models.TextChoices):
        TERRORISM = "terrorism", _("Persons linked to terrorism or extremism")
        SANCTIONS = "sanctions", _("Sanctions list")
        PEP = "pep", _("Politically exposed persons")
        INTERNAL = "internal", _("Internal list")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        FTM = "ftm", _("FollowTheMoney JSON lines")
        AFM_XML = "afm_xml", _("XML of the Financial Monitoring Agency (Kazakhstan)")
        UN_XML = "un_xml", _("XML of the UN Security Council consolidated list")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(pgettext_lazy("compliance", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("file format"), max_length=10, choices=Format.choices)
    # Format options: CSV column names, delimiter, encoding (docs/compliance.md).
    options = models.JSONField(_("format options"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("screening list")
        verbose_name_plural = _("screening lists")

    def __str__(self) -> str:
        return self.name


class ScreeningListVersion(models.Model):
    screening_list = models.ForeignKey(ScreeningList, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=300, blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=False)
    imported_at = models.DateTimeField(auto_now_add=True)
    vault_document_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["screening_list", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["screening_list", "number"], name="list_version_number_unique"),
            models.UniqueConstraint(fields=["screening_list", "sha256"], name="list_version_file_unique"),
            models.UniqueConstraint(
                fields=["screening_list"], condition=Q(is_current=True), name="list_one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.screening_list.code} v{self.number}"


class ScreeningEntry(models.Model):
    version = models.ForeignKey(ScreeningListVersion, on_delete=models.CASCADE, related_name="entries")
    external_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=500)
    aliases = models.JSONField(default=list, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    birth_year = models.PositiveIntegerField(null=True, blank=True)
    iin = models.CharField(max_length=12, blank=True, db_index=True)
    entity_kind = models.CharField(max_length=20, default="person")
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the matching data: diff of versions

    class Meta:
        indexes = [models.Index(fields=["version", "fingerprint"])]

    def __str__(self) -> str:
        return self.name


class Screening(models.Model):
    class Result(models.TextChoices):
        CLEAR = "clear", _("No match")
        REVIEW = "review", _("Possible match: manual review")
        REFUSE = "refuse", _("Exact match: refusal")

    class Review(models.TextChoices):
        NONE = "", _("Not needed")
        PENDING = "pending", _("Waiting for the AML officer")
        CONFIRMED = "confirmed", _("Match confirmed")
        FALSE_POSITIVE = "false_positive", _("False positive")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="screenings", null=True, blank=True
    )
    subject_name = models.CharField(max_length=500)
    subject_iin = models.CharField(max_length=12, blank=True)
    subject_birth_date = models.DateField(null=True, blank=True)
    context = models.CharField(max_length=30)  # application, rescreen, manual
    context_id = models.CharField(max_length=64, blank=True)
    list_versions = models.ManyToManyField(ScreeningListVersion, related_name="screenings")
    result = models.CharField(max_length=10, choices=Result.choices)
    best_score = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    matches = models.JSONField(default=list)
    # What the matched lists' kinds mean (R-AML-1): a PEP match is enhanced review, not refusal;
    # a match on a terrorism / extremism / sanctions list is refusal once confirmed.
    pep = models.BooleanField(_("politically exposed person"), default=False)
    refusal_list = models.BooleanField(_("match on a refusal list"), default=False)
    review_status = models.CharField(max_length=20, choices=Review.choices, blank=True, default="")
    reviewed_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.PROTECT)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The AML officer's review queue (back office): possible matches are the officer's cases.
        permissions = [
            ("view_case", _("Can view AML review cases")),
            ("decide_case", _("Can decide AML review cases")),
        ]
        constraints = [
            models.CheckConstraint(
                name="screening_result_known", condition=Q(result__in=["clear", "review", "refuse"])
            ),
            models.CheckConstraint(
                name="screening_review_pending_when_hit",
                condition=Q(result="clear", review_status="") | (~Q(result="clear") & ~Q(review_status="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name}: {self.result}"

    @property
    def context_label(self) -> str:
        """Why the screening ran, in words (staff pages show no codes)."""
        labels = {
            "application": _("loan application"),
            "registration": pgettext_lazy("compliance", "registration"),
            "rescreen": _("re-screening after a list update"),
            "manual": _("manual check"),
        }
        return str(labels.get(self.context, _("other check")))

    @property
    def pep_only(self) -> bool:
        """Every counted match is on a PEP list: enhanced review, never refusal (R-AML-1)."""
        return self.pep and not self.refusal_list

    @property
    def refuses(self) -> bool:
        """The client must be refused: an exact hit, or a confirmed match that is not PEP-only."""
        return self.result == self.Result.REFUSE or (
            self.review_status == self.Review.CONFIRMED and not self.pep_only
        )

    @property
    def pep_confirmed(self) -> bool:
        """Confirmed politically exposed person with no refusal-list match: enhanced review."""
        return self.pep_only and self.review_status == self.Review.CONFIRMED


class RescreenRun(models.Model):
    """Re-screening of the whole portfolio after a list changed (counts; hits are Screening rows)."""

    version = models.ForeignKey(ScreeningListVersion, on_delete=models.PROTECT, related_name="rescreen_runs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    new_entries = models.PositiveIntegerField(default=0)
    clients_checked = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"rescreen {self.version}"
