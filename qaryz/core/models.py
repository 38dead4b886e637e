from __future__ import annotations

import copy as copy_module

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qaryz.core.forms import validate_bin

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #0b6e4f."))


class MfoProfile(models.Model):
    """The MFO operating this installation: shown in the cabinet (R-CAB-2) and on every page (R-WEB-1).

    A single row; the newest one is current.
    """

    short_name = models.CharField(_("short name"), max_length=120)
    legal_name = models.CharField(_("legal name"), max_length=300)
    # Kazakh variants of the texts printed in the Kazakh contract and letters (R-CAB-3); blank
    # falls back to the Russian value (``in_language``).
    legal_name_kk = models.CharField(_("legal name in Kazakh"), max_length=300, blank=True)
    bin = models.CharField(_("BIN"), max_length=12, validators=[validate_bin])
    first_head_full_name = models.CharField(_("first head"), max_length=200)
    legal_address = models.CharField(_("legal address"), max_length=300)
    legal_address_kk = models.CharField(_("legal address in Kazakh"), max_length=300, blank=True)
    actual_address = models.CharField(_("actual address"), max_length=300)
    actual_address_kk = models.CharField(_("actual address in Kazakh"), max_length=300, blank=True)
    phones = models.CharField(_("phones"), max_length=200)
    phones_kk = models.CharField(_("phones in Kazakh"), max_length=200, blank=True)
    fax = models.CharField(_("fax"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"))
    website = models.CharField(_("web site"), max_length=200)
    other_contacts = models.CharField(_("other contacts"), max_length=300, blank=True)
    licence = models.CharField(_("licence / registration"), max_length=300, blank=True)
    licence_kk = models.CharField(_("licence / registration in Kazakh"), max_length=300, blank=True)
    # Bank details printed in contracts (parties' details); blank until the MFO enters them.
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_name_kk = models.CharField(_("bank in Kazakh"), max_length=200, blank=True)
    bank_bic = models.CharField(_("bank BIC"), max_length=11, blank=True)
    bank_account = models.CharField(_("bank account (IBAN)"), max_length=34, blank=True)
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#0b6e4f", validators=[hex_color]
    )
    accent_color = models.CharField(
        _("accent colour"), max_length=7, default="#f2a900", validators=[hex_color]
    )
    logo_svg = models.TextField(_("logo (SVG)"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("MFO profile")
        constraints = [
            models.CheckConstraint(condition=models.Q(bin__regex=r"^[0-9]{12}$"), name="mfo_bin_12_digits"),
        ]

    def __str__(self) -> str:
        return self.short_name

    def in_language(self, language: str | None) -> MfoProfile:
        """An unsaved copy whose translatable texts are in ``language``: for "kk" each Kazakh
        variant that is filled replaces the Russian value; any other language keeps Russian."""
        copy = copy_module.copy(self)
        if language == "kk":
            for name in TRANSLATED_FIELDS:
                value = getattr(self, f"{name}_kk", "")
                if value:
                    setattr(copy, name, value)
        return copy


# Fields of MfoProfile with a Kazakh variant ``<name>_kk``.
TRANSLATED_FIELDS = ("legal_name", "legal_address", "actual_address", "licence", "phones", "bank_name")
