"""Written notices to a client (R-RCPT-1; Rules §12–13; the microfinance law's delay notice).

``send_letter`` renders the letter as a PDF in the client's language, keeps it in the vault (the
vault issues its signed receipt), puts it in the cabinet and announces it by SMS. Other rooms call
only ``send_letter``; they pass a subject and body already translated (``in_language``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qaryz.messaging.models import Letter
from qaryz.messaging.services import notify_client


def letter_pdf(client, subject: str, body: str, *, day=None) -> bytes:
    """A one-page letter: the MFO's letterhead, date, addressee, subject, body (active language)."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    from qaryz.core.selectors import mfo_profile_in
    from qaryz.records.receipts import _dejavu_font

    mfo = mfo_profile_in()  # rendered under the client's language: its name and address in it
    day = day or timezone.localdate()
    pdf = FPDF()
    pdf.set_title(subject)
    pdf.add_page()
    pdf.add_font("DejaVu", "", _dejavu_font())
    pdf.set_font("DejaVu", size=10)

    def line(text: str, height: float = 6) -> None:
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.WORD)

    line(mfo.legal_name or mfo.short_name)
    bin_label, date_label, to_label, id_label = _("BIN"), _("Date"), _("To"), _("IIN/BIN")
    details = [f"{bin_label} {mfo.bin}" if mfo.bin else "", mfo.legal_address, mfo.phones, mfo.email]
    line(", ".join(part for part in details if part), 5)
    pdf.ln(6)
    line(f"{date_label}: {day:%d.%m.%Y}")
    line(f"{to_label}: {client.display_name} ({id_label} {client.id_number})")
    pdf.ln(4)
    pdf.set_font("DejaVu", size=13)
    line(subject, 8)
    pdf.set_font("DejaVu", size=11)
    pdf.ln(2)
    for paragraph in body.split("\n\n"):
        line(paragraph)
        pdf.ln(2)
    return bytes(pdf.output())


def send_letter(
    client, *, kind: str, subject: str, body: str, reference: str = "", sms: bool = True
) -> Letter:
    """Send a letter whose ``subject`` and ``body`` are in the client's language (render them under
    ``messaging.services.in_language``). Returns the stored ``Letter``."""
    from qaryz.records.services import store_document

    language = client.preferred_language or "ru"
    with translation.override(language):
        content = letter_pdf(client, subject, body)
        filename = f"{kind}-{timezone.localdate():%Y%m%d}.pdf"
    with transaction.atomic():
        document = store_document(
            content,
            media_type="application/pdf",
            kind=f"letter.{kind}",
            direction="outbound",
            owner=client,
            filename=filename,
            reference=reference,
        )
        note = notify_client(client, subject, body, sms=sms)
        return Letter.objects.create(
            client=client,
            kind=kind,
            subject=subject[:200],
            body=body,
            language=language,
            reference=reference,
            document_id=document.pk,
            notification=note,
        )
