"""The only writers of client data (R-ONB-1..7). IIN/BIN are set once, at creation, and never again."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from qaryz.clients import names
from qaryz.clients.idnumbers import luhn_valid, normalize_kz_mobile, valid_bin, valid_iin
from qaryz.clients.models import (
    BankAccount,
    Client,
    Consent,
    IdDocType,
    LegalEntitySigner,
    add_years,
    unusual_validity,
)
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document

# Mutable fields of a client. IIN and BIN are deliberately absent: nothing in this module,
# and so no form, API or admin path built on it, can change them (R-ONB-7).
EDITABLE_FIELDS = frozenset({"surname", "given_name", "patronymic", "legal_name", "preferred_language"})


class ClientDataError(ValidationError):
    """Bad client data; the message is translated and safe to show."""


def normalize_phone(raw: str) -> str:
    phone = normalize_kz_mobile(raw or "")
    if phone is None:
        raise ClientDataError(_("Enter a Kazakh mobile number, for example +7 701 234 56 78."), code="phone")
    return phone


def check_iin(iin: str) -> str:
    iin = (iin or "").strip()
    if not valid_iin(iin):
        raise ClientDataError(_("The IIN is not valid: check the 12 digits."), code="iin")
    return iin


_NAME_LABELS = {
    "surname": gettext_lazy("Surname"),
    "given_name": gettext_lazy("Name"),
    "patronymic": gettext_lazy("Patronymic"),
    "signer_surname": gettext_lazy("Signer's surname"),
    "signer_given_name": gettext_lazy("Signer's name"),
    "signer_patronymic": gettext_lazy("Signer's patronymic"),
    "legal_name": gettext_lazy("Name of the legal entity"),
}


def check_address(value: str) -> str:
    """The registration address as typed (a legal entity's legal address), normalised, or
    ClientDataError: NAME-like rules for a postal address (``names.address_problem``)."""
    value = names.normalise_name(value)
    problem = names.address_problem(value)
    if problem == "too_long":
        raise ClientDataError(
            _("Address: at most %(limit)s characters.") % {"limit": names.ADDRESS_MAX}, code="address_length"
        )
    if problem == "too_short":
        raise ClientDataError(
            _("Enter the full registration address: city or village, street, house and flat."),
            code="address_missing",
        )
    if problem:
        raise ClientDataError(
            _("Address: use letters, digits, spaces and the punctuation of an address (. , - / № « »)."),
            code="address_characters",
        )
    return value


@transaction.atomic
def set_address(client: Client, address: str, *, actor: object = None) -> Client:
    """Record the client's registration address (printed in the contract's parties' details)."""
    address = check_address(address)
    locked = Client.objects.select_for_update().get(pk=client.pk)
    changed = locked.address != address
    locked.address = address
    locked.save(update_fields=["address"])
    if changed:
        audit("client.address_set", target=locked, actor=actor or locked, data={"fields": ["address"]})
    client.address = address
    return locked


def check_name(value: str, field: str) -> str:
    """A person's name as typed (surname, name, patronymic of a client or signer), or ClientDataError.

    Letters (Cyrillic with the Kazakh letters, Latin), spaces, hyphens and apostrophes, at most
    names.NAME_MAX characters; a legal entity's name may hold more but never markup or control characters.
    """
    value = names.normalise_name(value)
    label = _NAME_LABELS.get(field, field)
    if field == "legal_name":
        problem = names.free_text_problem(value)
        limit = names.LEGAL_NAME_MAX
    else:
        problem = names.name_problem(value)
        limit = names.NAME_MAX
    if problem == "too_long":
        raise ClientDataError(
            _("%(field)s: at most %(limit)s characters.") % {"field": label, "limit": limit},
            code="name_length",
        )
    if problem and field == "legal_name":
        raise ClientDataError(
            _("%(field)s: the characters < > and control characters are not allowed.") % {"field": label},
            code="name_characters",
        )
    if problem:
        raise ClientDataError(
            _("%(field)s: use letters, spaces, hyphens and apostrophes only.") % {"field": label},
            code="name_characters",
        )
    return value


def check_bin(bin_: str) -> str:
    bin_ = (bin_ or "").strip()
    if not valid_bin(bin_):
        raise ClientDataError(_("The BIN is not valid: check the 12 digits."), code="bin")
    return bin_


def check_identity_document(
    doc_type: str, number: str, expiry: dt.date | None, *, today: dt.date | None = None
) -> None:
    """ID card or passport only, not expired (R-ONB-1)."""
    if doc_type == "birth_certificate":
        raise ClientDataError(
            _("A birth certificate is not accepted: use your identity card or passport."),
            code="birth_certificate",
        )
    if doc_type not in IdDocType.values:
        raise ClientDataError(_("Choose an identity card or a passport."), code="doc_type")
    if not number or not number.strip().isalnum() or len(number.strip()) > 20:
        raise ClientDataError(_("Enter the document number as printed in the document."), code="doc_number")
    today = today or timezone.localdate()
    if expiry is None or expiry < today:
        raise ClientDataError(
            _("The document has expired: register with a valid document."), code="doc_expired"
        )


def birth_date_from_iin(iin: str | None) -> dt.date | None:
    from qaryz.core.identifiers import IdentifierError, parse_iin

    try:
        return parse_iin(iin or "").birth_date
    except IdentifierError:
        return None


def check_issue_date(
    doc_type: str,
    issued: dt.date | None,
    *,
    expiry: dt.date | None,
    birth_date: dt.date | None,
    today: dt.date | None = None,
) -> list[str]:
    """The document's issue date (not in the MRZ, entered by the client): not in the future, not
    before the holder could have received the document (ID card: ``CLIENTS_ID_CARD_MIN_ISSUE_AGE``,
    passport: ``CLIENTS_PASSPORT_MIN_ISSUE_AGE`` years of age), before the expiry date. Returns
    the warnings of an accepted date: ``"unusual_validity"`` when an ID card's expiry is not issue
    + ``CLIENTS_ID_CARD_VALIDITY_YEARS`` (an unconfirmed rule: staff check, nobody is refused)."""
    if issued is None:
        raise ClientDataError(_("Enter the date the document was issued."), code="issue_date_missing")
    today = today or timezone.localdate()
    if issued > today:
        raise ClientDataError(_("The issue date cannot be in the future."), code="issue_date_future")
    if birth_date is not None:
        years = (
            settings.CLIENTS_ID_CARD_MIN_ISSUE_AGE
            if doc_type == IdDocType.ID_CARD
            else settings.CLIENTS_PASSPORT_MIN_ISSUE_AGE
        )
        if issued < add_years(birth_date, years):
            raise ClientDataError(
                _("The issue date is too early for your date of birth: check the date in the document."),
                code="issue_date_too_early",
            )
    if expiry is not None and issued >= expiry:
        raise ClientDataError(
            _("The issue date must be before the document's expiry date."), code="issue_date_after_expiry"
        )
    return ["unusual_validity"] if unusual_validity(doc_type, issued, expiry) else []


@dataclass(frozen=True)
class SignerData:
    surname: str
    given_name: str
    patronymic: str
    iin: str


@transaction.atomic
def register_client(
    *,
    kind: str,
    phone: str,
    iin: str = "",
    bin: str = "",
    surname: str = "",
    given_name: str = "",
    patronymic: str = "",
    legal_name: str = "",
    preferred_language: str = "ru",
    signer: SignerData | None = None,
    address: str = "",
) -> Client:
    """Create a client in status REGISTERED after the SMS code proved the phone (R-ONB-8)."""
    phone = normalize_phone(phone)
    if kind not in Client.Kind.values:
        raise ClientDataError(_("Choose who is registering."), code="kind")
    if kind == Client.Kind.LEGAL_ENTITY:
        bin_value: str | None = check_bin(bin)
        iin_value: str | None = None
        if not legal_name.strip():
            raise ClientDataError(_("Enter the legal entity's name."), code="legal_name")
        if signer is None:
            raise ClientDataError(_("Enter the authorised signer."), code="signer")
        check_iin(signer.iin)
    else:
        iin_value = check_iin(iin)
        bin_value = None
        if not surname.strip() or not given_name.strip():
            raise ClientDataError(_("Enter your surname and name as in your identity document."), code="name")
    if Client.objects.filter(phone=phone).exists():
        raise ClientDataError(
            _("This phone number is already registered: sign in or recover your password."),
            code="phone_taken",
        )
    if iin_value and Client.objects.filter(iin=iin_value).exists():
        raise ClientDataError(
            _("This IIN is already registered: sign in or recover your password."), code="iin_taken"
        )
    if bin_value and Client.objects.filter(bin=bin_value).exists():
        raise ClientDataError(_("This BIN is already registered."), code="bin_taken")
    try:
        client = Client.objects.create(
            kind=kind,
            iin=iin_value,
            bin=bin_value,
            surname=surname.strip(),
            given_name=given_name.strip(),
            patronymic=patronymic.strip(),
            legal_name=legal_name.strip(),
            phone=phone,
            preferred_language=preferred_language if preferred_language in ("ru", "kk", "en") else "ru",
            address=check_address(address) if address else "",
        )
    except IntegrityError as exc:  # a parallel registration with the same phone/IIN won the race
        raise ClientDataError(_("This client is already registered."), code="duplicate") from exc
    if signer is not None:
        LegalEntitySigner.objects.create(
            client=client,
            surname=signer.surname.strip(),
            given_name=signer.given_name.strip(),
            patronymic=signer.patronymic.strip(),
            iin=signer.iin,
        )
    audit("client.registered", target=client, actor=client, data={"kind": kind})
    return client


@transaction.atomic
def update_client(client: Client, *, actor: object = None, **changes: str) -> Client:
    """Change mutable fields only; any attempt to pass iin/bin (or unknown fields) is refused."""
    forbidden = set(changes) - EDITABLE_FIELDS
    if forbidden:
        raise ClientDataError(_("These details cannot be changed."), code="immutable")
    changes = {
        field: check_name(value, field) if field in _NAME_LABELS else value
        for field, value in changes.items()
    }
    client = Client.objects.select_for_update().get(pk=client.pk)
    for field, value in changes.items():
        setattr(client, field, value)
    client.save(update_fields=list(changes))
    audit("client.updated", target=client, actor=actor, data={"fields": sorted(changes)})
    return client


@transaction.atomic
def record_identity_document(
    client: Client,
    *,
    doc_type: str,
    number: str,
    expiry: dt.date | None,
    issue_date: dt.date | None = None,
    birth_date: dt.date | None = None,
    actor: object = None,
    today: dt.date | None = None,
) -> Client:
    """Keep the identity document on the client; ``issue_date`` (entered by the client) is
    checked with ``check_issue_date`` when given (the holder's birth date from the IIN unless
    ``birth_date`` – e.g. the MRZ's – is given)."""
    check_identity_document(doc_type, number, expiry, today=today)
    client = Client.objects.select_for_update().get(pk=client.pk)
    warnings: list[str] = []
    if issue_date is not None:
        born = birth_date or birth_date_from_iin(client.iin)
        warnings = check_issue_date(doc_type, issue_date, expiry=expiry, birth_date=born, today=today)
    client.id_doc_type, client.id_doc_number, client.id_doc_expiry = doc_type, number.strip().upper(), expiry
    client.id_doc_issue_date = issue_date
    client.save(update_fields=["id_doc_type", "id_doc_number", "id_doc_expiry", "id_doc_issue_date"])
    audit(
        "client.identity_document",
        target=client,
        actor=actor,
        data={"type": doc_type, "issue_date_given": issue_date is not None, "warnings": warnings},
    )
    return client


@transaction.atomic
def attach_face_photo(
    client: Client, content: bytes, *, media_type: str = "image/jpeg", actor: object = None
) -> Client:
    """Store the frontal face photo in the vault (R-ONB-1, R-ARCH-1) and reference it."""
    ref = str(
        store_document(
            content,
            media_type=media_type,
            kind="face_photo",
            direction="inbound",
            owner=client,
            filename="face.jpg",
        ).pk
    )
    Client.objects.filter(pk=client.pk).update(face_photo_ref=ref)
    client.face_photo_ref = ref
    audit("client.face_photo", target=client, actor=actor, data={"document": ref})
    return client


@transaction.atomic
def set_signer_document(
    client: Client,
    *,
    doc_type: str,
    number: str,
    expiry: dt.date | None,
    photo: bytes | None = None,
    authority: str = "",
    authority_scan: bytes | None = None,
    scan_media_type: str = "application/pdf",
    issue_date: dt.date | None = None,
    birth_date: dt.date | None = None,
    actor: object = None,
    today: dt.date | None = None,
) -> LegalEntitySigner:
    """The signer's identity document, photo and appointment order / power of attorney (R-ONB-2).
    ``issue_date`` as in ``record_identity_document`` (the signer's birth date)."""
    check_identity_document(doc_type, number, expiry, today=today)
    signer = LegalEntitySigner.objects.select_for_update().get(client=client)
    if authority and authority not in LegalEntitySigner.Authority.values:
        raise ClientDataError(_("Choose an order of appointment or a power of attorney."), code="authority")
    if issue_date is not None:
        born = birth_date or birth_date_from_iin(signer.iin)
        check_issue_date(doc_type, issue_date, expiry=expiry, birth_date=born, today=today)
    signer.id_doc_type, signer.id_doc_number, signer.id_doc_expiry = doc_type, number.strip().upper(), expiry
    signer.id_doc_issue_date = issue_date
    if photo is not None:
        signer.photo_ref = str(
            store_document(
                photo,
                media_type="image/jpeg",
                kind="signer_photo",
                direction="inbound",
                owner=client,
                filename="signer.jpg",
            ).pk
        )
    if authority_scan is not None:
        signer.authority = authority
        signer.authority_scan_ref = str(
            store_document(
                authority_scan,
                media_type=scan_media_type,
                kind="signer_authority",
                direction="inbound",
                owner=client,
                filename="authority.pdf",
            ).pk
        )
    signer.save()
    audit("client.signer_updated", target=client, actor=actor, data={"authority": signer.authority})
    return signer


@transaction.atomic
def attach_signer_photo(
    client: Client, content: bytes, *, media_type: str = "image/jpeg", actor: object = None
) -> LegalEntitySigner:
    """The legal entity's signer's frontal photo (R-ONB-2), kept in the vault."""
    signer = LegalEntitySigner.objects.select_for_update().get(client=client)
    signer.photo_ref = str(
        store_document(
            content,
            media_type=media_type,
            kind="signer_photo",
            direction="inbound",
            owner=client,
            filename="signer.jpg",
        ).pk
    )
    signer.save(update_fields=["photo_ref", "updated_at"])
    audit("client.signer_photo", target=client, actor=actor, data={"document": signer.photo_ref})
    return signer


AUTHORITY_MEDIA_TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}
AUTHORITY_MAX_BYTES = 8_000_000


def authority_media_type(content: bytes) -> str:
    """The media type of a scan by its first bytes (PDF, JPEG or PNG), or ""."""
    for magic, media_type in AUTHORITY_MEDIA_TYPES.items():
        if content.startswith(magic):
            return media_type
    return ""


@transaction.atomic
def set_signer_authority(
    client: Client, *, authority: str, scan: bytes, actor: object = None
) -> LegalEntitySigner:
    """The scan of the order appointing the head or of the power of attorney (R-ONB-2), in the vault."""
    if authority not in LegalEntitySigner.Authority.values:
        raise ClientDataError(_("Choose an order of appointment or a power of attorney."), code="authority")
    if not scan:
        raise ClientDataError(_("Attach the scan of the document."), code="authority_scan")
    if len(scan) > AUTHORITY_MAX_BYTES:
        raise ClientDataError(_("The file is too large: at most 8 MB."), code="authority_size")
    media_type = authority_media_type(scan)
    if not media_type:
        raise ClientDataError(_("Attach a PDF, JPEG or PNG file."), code="authority_type")
    signer = LegalEntitySigner.objects.select_for_update().get(client=client)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[media_type]
    signer.authority = authority
    signer.authority_scan_ref = str(
        store_document(
            scan,
            media_type=media_type,
            kind="signer_authority",
            direction="inbound",
            owner=client,
            filename=f"authority.{extension}",
        ).pk
    )
    signer.save(update_fields=["authority", "authority_scan_ref", "updated_at"])
    audit(
        "client.signer_authority",
        target=client,
        actor=actor,
        data={"authority": authority, "document": signer.authority_scan_ref, "media_type": media_type},
    )
    return signer


def check_bank_details(kind: str, value: str) -> str:
    value = "".join((value or "").split()).upper()
    if kind == BankAccount.Kind.IBAN:
        try:
            iban = IBAN(value)
        except SchwiftyException as exc:
            raise ClientDataError(_("The IBAN is not valid."), code="iban") from exc
        if iban.country_code != "KZ":
            raise ClientDataError(_("Enter an IBAN of a Kazakh bank (KZ…)."), code="iban_country")
        return str(iban.compact)
    if kind == BankAccount.Kind.CARD:
        if not luhn_valid(value):
            raise ClientDataError(_("The card number is not valid."), code="card")
        return value
    raise ClientDataError(_("Choose an account or a card."), code="bank_kind")


@transaction.atomic
def set_bank_account(client: Client, *, kind: str, value: str, actor: object = None) -> BankAccount:
    """Replace the current registered bank details. Callers enforce R-ONB-6 (biometrics + EDS)."""
    value = check_bank_details(kind, value)
    Client.objects.select_for_update().get(pk=client.pk)
    now = timezone.now()
    BankAccount.objects.filter(client=client, is_current=True).update(is_current=False, replaced_at=now)
    account = BankAccount.objects.create(client=client, kind=kind, value=value)
    audit(
        "client.bank_details_changed",
        target=client,
        actor=actor,
        data={"kind": kind, "masked": account.masked},
    )
    return account


@transaction.atomic
def set_phone(client: Client, new_phone: str, *, actor: object = None) -> Client:
    """Replace the registered phone. Callers enforce R-ONB-6 and notify the old number."""
    new_phone = normalize_phone(new_phone)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if Client.objects.filter(phone=new_phone).exclude(pk=client.pk).exists():
        raise ClientDataError(_("This phone number is already registered."), code="phone_taken")
    old = client.phone
    client.phone = new_phone
    client.save(update_fields=["phone"])
    audit(
        "client.phone_changed",
        target=client,
        actor=actor,
        data={"old_tail": old[-4:], "new_tail": new_phone[-4:]},
    )
    return client


@transaction.atomic
def confirm_client(client: Client, *, data: dict | None = None) -> Client:
    """REGISTERED -> CONFIRMED once biometrics (and EDS unless an IE) are satisfied (R-ONB-4)."""
    updated = Client.objects.filter(pk=client.pk, status=Client.Status.REGISTERED).update(
        status=Client.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    client.refresh_from_db()
    if updated:
        audit("client.confirmed", target=client, actor=client, data=data or {})
    return client


@transaction.atomic
def record_consent(
    client: Client,
    *,
    kind: str,
    text: str,
    language: str,
    given_at: dt.datetime,
    channel: str = "web",
) -> Consent:
    """Keep the exact consent text the client agreed to in the vault, with its SHA-256 and time."""
    if kind not in Consent.Kind.values:
        raise ClientDataError(_("Unknown consent."), code="consent_kind")
    content = text.encode("utf-8")
    document = store_document(
        content,
        media_type="text/plain; charset=utf-8",
        kind=f"consent_{kind}",
        direction="inbound",
        owner=client,
        filename=f"consent-{kind}-{language}.txt",
        channel=channel,
    )
    consent = Consent.objects.create(
        client=client,
        kind=kind,
        language=language,
        text_sha256=hashlib.sha256(content).hexdigest(),
        document_ref=str(document.pk),
        channel=channel[:16],
        given_at=given_at,
    )
    audit(
        "client.consent_given",
        target=client,
        actor=client,
        data={
            "kind": kind,
            "language": language,
            "sha256": consent.text_sha256,
            "document": str(document.pk),
        },
    )
    return consent
