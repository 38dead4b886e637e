"""Consent to the processing of personal data asked at registration (Law of the RK "On personal
data and their protection"; R-ONB-8). The text is shown in the interface language; the exact
text the applicant agreed to is kept in the vault with its SHA-256 (clients.services.record_consent).
"""

from __future__ import annotations

import hashlib

from django.utils import translation
from django.utils.translation import gettext as _

LANGUAGES = ("ru", "kk", "en")


def consent_text(language: str) -> str:
    """The full consent text in ``language`` (ru, kk or en), with the MFO's name and BIN."""
    from qaryz.core.selectors import current_mfo_profile

    language = language if language in LANGUAGES else "ru"
    mfo = current_mfo_profile().in_language(language)
    name = mfo.legal_name or mfo.short_name
    with translation.override(language):
        paragraphs = [
            _("Consent to the collection and processing of personal data"),
            _(
                "I, the applicant, give %(mfo)s, hereinafter the MFO, my consent to collect and "
                "process my personal data and, for a legal entity, the personal data of its "
                "authorised signer."
            )
            % {"mfo": _("%(name)s (BIN %(bin)s)") % {"name": name, "bin": mfo.bin} if mfo.bin else name},
            _(
                "The data: surname, name, patronymic, IIN, identity document details, photograph "
                "and biometric data of the face, phone number, bank details, data of my electronic "
                "digital signature certificate, and information from the credit bureau."
            ),
            _(
                "Purpose: registration in the MFO's cabinet, identification, checks required by the "
                "law on countering money laundering and the financing of terrorism, the "
                "consideration of loan applications, and the conclusion and performance of "
                "microcredit contracts."
            ),
            _(
                "Actions: collection, recording, storage, use, transfer to the credit bureau, the "
                "state identification services and the authorised bodies where the law requires "
                "it, depersonalisation and destruction."
            ),
            _(
                "The data is kept as long as the law requires (at least five years after the "
                "obligations end). I may withdraw this consent by a letter to the MFO, except where "
                "the law requires the processing to continue."
            ),
        ]
    return "\n\n".join(paragraphs) + "\n"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
