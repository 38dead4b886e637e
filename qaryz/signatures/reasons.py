"""What each verification reason code means to the client (ru/kk/en through gettext)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .verify import Reason

MESSAGES: dict[str, Promise] = {
    Reason.BAD_SIGNATURE: _("The signature is damaged or does not match its certificate."),
    Reason.CONTENT_MISMATCH: _(
        "The signature was made for another document. Sign the document shown on this page."
    ),
    Reason.UNTRUSTED_CHAIN: _(
        "The certificate was not issued by the National Certification Authority of Kazakhstan (NCA RK)."
    ),
    Reason.EXPIRED: _("The EDS certificate has expired. Obtain a new key from NCA RK."),
    Reason.NOT_YET_VALID: _("The EDS certificate is not valid yet."),
    Reason.REVOKED: _("The EDS certificate has been revoked."),
    Reason.REVOCATION_UNKNOWN: _(
        "The certificate status could not be checked with NCA RK right now. Please try again in a few minutes."
    ),
    Reason.IIN_MISMATCH: _("The EDS belongs to another person: the IIN in the certificate is not yours."),
    Reason.BIN_MISMATCH: _("The EDS belongs to another organisation: the BIN in the certificate differs."),
    Reason.WRONG_KEY_USAGE: _(
        'This key cannot sign documents. Choose your signing key (RSA or GOST "SIGN" key).'
    ),
    Reason.UNSUPPORTED_ALGORITHM: _(
        "This signature algorithm (for example the older GOST 34.310-2004) is not supported. "
        "Please sign with your RSA or GOST 2015 key."
    ),
    Reason.REPLAYED: _("This document has already been signed; the signature cannot be used again."),
    Reason.EXPIRED_REQUEST: _("The signing request has expired. Please start again."),
}


def message_for(reason: str) -> str:
    return str(MESSAGES.get(reason, _("The signature could not be accepted.")))
