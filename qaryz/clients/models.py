"""Clients of the MFO: individuals, individual entrepreneurs and legal entities (R-ONB-1..7).

The identification number (IIN for a person, BIN for an entity) is the client's identity in
every other room and can never change (R-ONB-7): the database refuses it (see the trigger in
migrations) and no form, API or admin path offers it for editing.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qaryz.core.encrypted import BlindIndexField, EncryptedTextField


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def unusual_validity(doc_type: str, issued: dt.date | None, expiry: dt.date | None) -> bool:
    """An ID card whose validity is not the usual number of years (a setting: the rule is
    unconfirmed, so this warns staff and never refuses). A day either way is tolerated."""
    if doc_type != "id_card" or issued is None or expiry is None:
        return False
    usual = add_years(issued, settings.CLIENTS_ID_CARD_VALIDITY_YEARS)
    return abs((expiry - usual).days) > 1


def mask_document_number(number: str) -> str:
    """A document number as staff see it: only the last four characters (••••1234)."""
    number = (number or "").strip()
    if not number:
        return ""
    return "••••" + number[-4:] if len(number) > 4 else "••••"


class IdDocType(models.TextChoices):
    # A birth certificate is deliberately absent (R-ONB-1): services refuse it with a message.
    ID_CARD = "id_card", _("Identity card")
    PASSPORT = "passport", _("Passport")


class Client(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ENTREPRENEUR = "entrepreneur", _("Individual entrepreneur")
        LEGAL_ENTITY = "legal_entity", _("Legal entity")

    class Status(models.TextChoices):
        # Cabinet activated by the SMS code, identity not yet confirmed: the client can only
        # finish registration (biometrics, and EDS unless an IE).
        REGISTERED = "registered", _("Registered, not confirmed")
        CONFIRMED = "confirmed", _("Confirmed")
        BLOCKED = "blocked", _("Blocked")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    # IIN of the person (individual, IE). For a legal entity: null; its BIN is below and the
    # signer's IIN is on the signer record.
    iin = models.CharField(_("IIN"), max_length=12, null=True, blank=True, unique=True)
    bin = models.CharField(_("BIN"), max_length=12, null=True, blank=True, unique=True)
    surname = models.CharField(_("surname"), max_length=100, blank=True)
    given_name = models.CharField(_("name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=12, unique=True)  # E.164 +77XXXXXXXXX
    preferred_language = models.CharField(_("language"), max_length=2, default="ru")
    # Registration address (a legal entity's legal address): printed in the contract's parties'
    # details. Blank for clients registered before it was collected; the cabinet asks for it
    # before a contract is signed (clients.services.set_address).
    # Encrypted at rest (R-3P-1, docs/records.md): never searched, only shown and printed.
    address = EncryptedTextField(_("registration address"), max_length=200, blank=True)
    # Identity document of the person (individual, IE); the signer's document for an entity is on
    # LegalEntitySigner. Filled at registration or by the biometrics/MRZ step (R-ONB-1, R-ONB-8).
    id_doc_type = models.CharField(
        _("identity document"), max_length=20, choices=IdDocType.choices, blank=True
    )
    id_doc_number = EncryptedTextField(_("document number"), max_length=20, blank=True)  # R-3P-1
    id_doc_expiry = models.DateField(_("document valid until"), null=True, blank=True)
    # Not in the MRZ: entered by the client with the card photo (clients.services.check_issue_date).
    id_doc_issue_date = models.DateField(_("document issued on"), null=True, blank=True)
    # Frontal face photo kept in the records vault (StoredDocument primary key).
    face_photo_ref = models.CharField(_("face photo (vault reference)"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        permissions = [("view_client_data", _("Can view clients' confidential data"))]
        constraints = [
            models.CheckConstraint(
                name="client_id_doc_type_allowed",
                condition=models.Q(id_doc_type__in=["", "id_card", "passport"]),
            ),
            models.CheckConstraint(
                name="client_id_number_by_kind",
                condition=(
                    models.Q(kind="legal_entity", iin__isnull=True, bin__regex=r"^[0-9]{12}$")
                    | (~models.Q(kind="legal_entity") & models.Q(iin__regex=r"^[0-9]{12}$"))
                ),
            ),
            models.CheckConstraint(
                name="client_id_doc_issued_before_expiry",
                condition=models.Q(id_doc_issue_date__isnull=True)
                | models.Q(id_doc_expiry__isnull=True)
                | models.Q(id_doc_issue_date__lt=models.F("id_doc_expiry")),
            ),
            models.CheckConstraint(
                name="client_phone_e164_kz", condition=models.Q(phone__regex=r"^\+77[0-9]{9}$")
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.LEGAL_ENTITY:
            return self.legal_name
        return " ".join(part for part in (self.surname, self.given_name, self.patronymic) if part)

    @property
    def address_masked(self) -> str:
        """The address for staff without the confidential-data permission: the locality (the first
        part up to the street) only, the rest hidden."""
        if not self.address:
            return ""
        head = self.address.split(",")[0].strip()
        return f"{head}, …" if head != self.address.strip() else "…"

    @property
    def id_doc_masked(self) -> str:
        return mask_document_number(self.id_doc_number)

    @property
    def id_doc_validity_unusual(self) -> bool:
        return unusual_validity(self.id_doc_type, self.id_doc_issue_date, self.id_doc_expiry)

    @property
    def id_number(self) -> str:
        """IIN for a person, BIN for an entity."""
        return (self.bin if self.kind == self.Kind.LEGAL_ENTITY else self.iin) or ""


class LegalEntitySigner(models.Model):
    """The person authorised to sign for a legal entity and the scan proving it (R-ONB-2)."""

    class Authority(models.TextChoices):
        APPOINTMENT_ORDER = "appointment_order", _("Order appointing the head")
        POWER_OF_ATTORNEY = "power_of_attorney", _("Power of attorney")

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="signer")
    surname = models.CharField(_("surname"), max_length=100)
    given_name = models.CharField(_("name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    iin = models.CharField(_("IIN"), max_length=12)
    id_doc_type = models.CharField(
        _("identity document"), max_length=20, choices=IdDocType.choices, blank=True
    )
    id_doc_number = EncryptedTextField(_("document number"), max_length=20, blank=True)  # R-3P-1
    id_doc_expiry = models.DateField(_("document valid until"), null=True, blank=True)
    id_doc_issue_date = models.DateField(_("document issued on"), null=True, blank=True)
    photo_ref = models.CharField(_("photo (vault reference)"), max_length=64, blank=True)
    authority = models.CharField(_("authority"), max_length=20, choices=Authority.choices, blank=True)
    authority_scan_ref = models.CharField(_("authority scan (vault reference)"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("legal entity signer")
        constraints = [
            models.CheckConstraint(
                name="signer_iin_12_digits", condition=models.Q(iin__regex=r"^[0-9]{12}$")
            ),
            models.CheckConstraint(
                name="signer_id_doc_issued_before_expiry",
                condition=models.Q(id_doc_issue_date__isnull=True)
                | models.Q(id_doc_expiry__isnull=True)
                | models.Q(id_doc_issue_date__lt=models.F("id_doc_expiry")),
            ),
            models.CheckConstraint(
                name="signer_id_doc_type_allowed",
                condition=models.Q(id_doc_type__in=["", "id_card", "passport"]),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.given_name, self.patronymic) if part)

    @property
    def id_doc_masked(self) -> str:
        return mask_document_number(self.id_doc_number)

    @property
    def id_doc_validity_unusual(self) -> bool:
        return unusual_validity(self.id_doc_type, self.id_doc_issue_date, self.id_doc_expiry)


class BankAccount(models.Model):
    """Registered bank details (IBAN or card) where money is paid out; changed only by R-ONB-6."""

    class Kind(models.TextChoices):
        IBAN = "iban", _("Bank account (IBAN)")
        CARD = "card", _("Payment card")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="bank_accounts")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # IBAN in full; for a card only the masked number and a token would be kept in production.
    # Encrypted at rest (R-3P-1); found by value (the embedded bank's ownership answer) only
    # through the keyed blind index beside it.
    value = EncryptedTextField(pgettext_lazy("clients", "details"), max_length=34)
    value_index = BlindIndexField(source="value", purpose="clients.bankaccount.value")
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bank details")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(is_current=True), name="one_current_bank_account"
            ),
            models.CheckConstraint(name="bank_account_kind", condition=models.Q(kind__in=["iban", "card"])),
        ]

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        return self.value[:4] + "…" + self.value[-4:]


class Consent(models.Model):
    """A consent the client gave (personal-data processing at registration, Law "On personal data").

    The exact text shown is kept in the records vault (``document_ref``) with its SHA-256; the row
    is never changed or deleted."""

    class Kind(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("Processing of personal data")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=2)
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    document_ref = models.CharField(_("text (vault reference)"), max_length=64)
    channel = models.CharField(max_length=16, default="web")
    given_at = models.DateTimeField(_("given at"))

    class Meta:
        verbose_name = _("consent")
        constraints = [
            models.CheckConstraint(name="consent_kind_known", condition=models.Q(kind__in=["personal_data"])),
            models.CheckConstraint(
                name="consent_sha256_hex", condition=models.Q(text_sha256__regex=r"^[0-9a-f]{64}$")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.given_at:%Y-%m-%d}"
