"""Words for the codes a stored document carries (kind, direction, channel), for what a client or a
staff member reads – receipts, document lists. The codes themselves stay in the signed receipt JSON;
a page or a PDF shows these phrases instead (no code names on documents a person reads).

Kinds are named by the rooms that store documents (``store_document(kind=...)``); a family shares a
prefix (``consent_…``, ``disclosure_…``, ``letter.…``). A kind not listed here reads as "Document".
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = {
    "loan_contract_draft": _("Microcredit contract"),
    "loan_amendment_draft": _("Supplementary agreement to the microcredit contract"),
    "loan_restructuring_draft": _("Restructuring agreement"),
    "loan_contract_signing_evidence": _("Record of the signing of the contract"),
    "loan_amendment_signing_evidence": _("Record of the signing of the supplementary agreement"),
    "loan_restructuring_signing_evidence": _("Record of the signing of the restructuring agreement"),
    "payment_receipt": _("Payment receipt"),
    "signer_authority": _("Document authorising the signer"),
    "signer_photo": _("Photo of the signer"),
    "face_photo": _("Face photo"),
    "identity_document_photo": _("Photo of the identity document"),
    "biometric_evidence": _("Record of the biometric identification"),
    "biometric_selfie": _("Photo taken at the biometric identification"),
    "biometric_frames": _("Frames of the biometric identification"),
    "eds_signed_content": _("Document signed with the electronic digital signature"),
    "eds_signature": _("Electronic digital signature"),
    "eds_verification": _("Result of the signature check"),
    "eds_ocsp_response": _("Certificate status answer of the certification centre"),
}
PREFIXES = (
    ("consent_", _("Consent to the processing of personal data")),
    ("disclosure_", _("Information given before the contract")),
    ("letter.", _("Letter from the MFO")),
)
CHANNELS = {
    "web": _("Personal cabinet on the website"),
    "api": _("Mobile application"),
    "servicing": _("Loan servicing"),
    "bank": _("Bank transfer"),
    "card": _("Bank card"),
    "cash_desk": _("Cash desk"),
    "sms": _("SMS"),
    "demo": _("Demo"),
}
DIRECTIONS = {
    "outbound": _("Sent to the client"),
    "inbound": _("Received from the client"),
    "internal": _("Internal"),
}


def kind_label(kind: str) -> str:
    """The document kind in words in the active language (never the code)."""
    if kind in KINDS:
        return str(KINDS[kind])
    for prefix, label in PREFIXES:
        if kind.startswith(prefix):
            return str(label)
    return str(_("Document"))


def direction_label(direction: str) -> str:
    return str(DIRECTIONS.get(direction, _("Internal")))


def channel_label(channel: str) -> str:
    return str(CHANNELS.get(channel, _("Other")))
