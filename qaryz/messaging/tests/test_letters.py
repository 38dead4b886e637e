"""Written notices: PDF in the client's language, kept in the vault with a signed receipt, shown in
the cabinet and announced by SMS (R-RCPT-1)."""

import pytest

from qaryz.access.testing import make_client
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.messaging.letters import send_letter
from qaryz.messaging.models import EmbeddedSms, Notification
from qaryz.records.models import Receipt, StoredDocument
from qaryz.records.services import read_document

pytestmark = pytest.mark.django_db


def test_a_letter_is_stored_with_a_receipt_and_announced():
    client = make_client(phone="+77010009901")
    client.preferred_language = "kk"
    client.save(update_fields=["preferred_language"])
    letter = send_letter(
        client,
        kind="test_notice",
        subject="Хабарлама",
        body="Бірінші абзац.\n\nЕкінші абзац.",
        reference="x:1",
    )
    document = StoredDocument.objects.get(pk=letter.document_id)
    assert document.kind == "letter.test_notice" and document.reference == "x:1"
    assert Receipt.objects.filter(document=document).exists()
    text = pdf_text(read_document(document))
    assert "Хабарлама" in text and "Екінші абзац." in text and client.surname in text
    assert "Date" not in text and "To:" not in text  # the letterhead labels are in Kazakh too
    assert Notification.objects.filter(client=client, subject="Хабарлама").count() == 1
    assert EmbeddedSms.objects.filter(phone="+77010009901", text__contains="Хабарлама").exists()
    assert letter.language == "kk"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_letterhead_names_the_mfo_in_the_letters_language(language):
    """Issue 11: a Kazakh letter printed the MFO's Russian legal name and address."""
    from qaryz.core.demo import DEMO_PROFILE
    from qaryz.core.models import MfoProfile

    MfoProfile.objects.create(**DEMO_PROFILE)
    client = make_client(phone="+77010009902", preferred_language=language)
    letter = send_letter(client, kind="test_notice", subject="Хабарлама", body="Мәтін.", sms=False)
    text = pdf_text(read_document(StoredDocument.objects.get(pk=letter.document_id))).replace("\u00a0", " ")
    suffix = "_kk" if language == "kk" else ""
    assert DEMO_PROFILE[f"legal_name{suffix}"] in text and DEMO_PROFILE[f"legal_address{suffix}"] in text
    other = "" if language == "kk" else "_kk"
    assert DEMO_PROFILE[f"legal_name{other}"] not in text
