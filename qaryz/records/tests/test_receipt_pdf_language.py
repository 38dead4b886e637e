"""R-RCPT-1, R-CAB-3: the receipt PDF a client reads is in the client's language (ru, kk, en): the
labels, the document kind, direction and channel in words (not codes), the time in the language's
format; the signed JSON is still printed and embedded, so the PDF alone still verifies."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from qaryz.clients.models import Client
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.records import crypto
from qaryz.records.kinds import kind_label
from qaryz.records.receipts import receipt_pdf
from qaryz.records.services import signing_key, store_document

pytestmark = pytest.mark.django_db
ENGLISH_LABELS = (
    "Receipt id",
    "Document id",
    "Kind:",
    "Direction:",
    "Channel:",
    "Time (UTC)",
    "Counterparty",
    "Key id",
    "Size, bytes",
    "Media type",
    "File name",
    "Verify:",
    "Signed data",
    "signature (base64)",
    "Receipt /",
)


def _receipt(client: Client, language: str):
    Client.objects.filter(pk=client.pk).update(preferred_language=language)
    doc = store_document(
        b"%PDF-1.7 contract",
        media_type="application/pdf",
        kind="loan_contract_draft",
        direction="outbound",
        owner=client,
        filename="QZ-1.pdf",
        channel="web",
    )
    return doc.receipt


def _body(text: str, signed_heading: str, after_signature: str) -> str:
    """The PDF's text without the printed signed JSON and signature (the signed data, not labels)."""
    return text[: text.index(signed_heading)] + text[text.index(after_signature) :]


@pytest.mark.req("R-RCPT-1")
@pytest.mark.parametrize(
    "language, words, signed, check",
    [
        (
            "kk",
            ("Түбіртек", "Түбіртек нөмірі", "Микрокредит беру туралы шарт", "Клиентке жіберілді"),
            "Қол қойылған деректер",
            "Қалай тексеруге болады",
        ),
        (
            "ru",
            ("Квитанция", "Номер квитанции", "Договор о предоставлении микрокредита", "Отправлен клиенту"),
            "Подписанные данные",
            "Как проверить",
        ),
    ],
)
def test_receipt_pdf_is_in_the_clients_language_without_english_labels_or_codes(
    client_obj, language, words, signed, check
):
    receipt = _receipt(client_obj, language)
    text = pdf_text(receipt_pdf(receipt))
    for word in words:
        assert word in text, word
    body = _body(text, signed, check)
    for label in ENGLISH_LABELS:
        assert label not in body, label
    # Codes appear only inside the signed JSON, not as values of the fields a person reads.
    for code in ("loan_contract_draft", "outbound"):
        assert code not in body, code
    assert '"kind":"loan_contract_draft"' in "".join(text.split())  # the signed data is printed
    # Dates in the language's format: dd.mm.yyyy, local time with its offset.
    local = timezone.localtime(receipt.document.created_at)
    assert local.strftime("%d.%m.%Y") in body and "UTC+05:00" in body


@pytest.mark.req("R-RCPT-1")
def test_english_receipt_and_the_localised_pdf_still_verifies(client_obj, tmp_path, capsys):
    receipt = _receipt(client_obj, "en")
    text = pdf_text(receipt_pdf(receipt))
    assert "Receipt number" in text and "Microcredit contract" in text and "Sent to the client" in text
    pem = tmp_path / "mfo.pem"
    pem.write_text(crypto.public_key_pem(signing_key().private_key().public_key()))
    path = tmp_path / "receipt.pdf"
    path.write_bytes(receipt_pdf(receipt, language="kk"))
    call_command("verify_receipt", str(path), public_key=str(pem))
    assert "Receipt valid" in capsys.readouterr().out


def test_unknown_kind_reads_as_a_word_not_a_code():
    translation.activate("en")
    assert kind_label("something_new") == "Document"
    assert kind_label("letter.delay_notice") == "Letter from the MFO"
    assert kind_label("consent_personal_data") == "Consent to the processing of personal data"
