from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from qaryz.records import crypto
from qaryz.records.models import AuditEvent, Receipt
from qaryz.records.receipts import receipt_json, receipt_pdf, verify_receipt_json
from qaryz.records.selectors import receipts_of
from qaryz.records.services import signing_key, store_document
from qaryz.records.views import client_receipt

pytestmark = pytest.mark.django_db
CONTRACT = b"%PDF-1.7 contract text"


@pytest.fixture
def receipt(client_obj) -> Receipt:
    doc = store_document(
        CONTRACT,
        media_type="application/pdf",
        kind="contract",
        direction="outbound",
        owner=client_obj,
        filename="contract.pdf",
        channel="web",
    )
    return doc.receipt


def _pem() -> str:
    return crypto.public_key_pem(signing_key().private_key().public_key())


@pytest.mark.req("R-RCPT-1")
def test_every_client_document_gets_a_signed_receipt(receipt, client_obj):
    payload = verify_receipt_json(json.dumps(receipt_json(receipt)), _pem())
    assert payload["document_id"] == str(receipt.document_id)
    assert payload["sha256"] == crypto.sha256_hex(CONTRACT)
    assert (payload["direction"], payload["channel"]) == ("outbound", "web")
    assert payload["counterparty"]["id"] == str(client_obj.pk)
    assert payload["counterparty"]["id_number"] == "900101300123"
    assert payload["time"].endswith("Z")
    assert list(receipts_of(client_obj)) == [receipt]


def test_internal_documents_have_no_receipt():
    doc = store_document(b"memo", media_type="text/plain", kind="memo", direction="internal")
    assert not Receipt.objects.filter(document=doc).exists()


@pytest.mark.req("R-RCPT-1")
def test_altered_receipt_fails_verification(receipt):
    data = receipt_json(receipt)
    data["receipt"]["sha256"] = "0" * 64
    with pytest.raises(ValueError, match="signature"):
        verify_receipt_json(json.dumps(data), _pem())


@pytest.mark.req("R-RCPT-1")
def test_verify_receipt_command_on_json_and_pdf(receipt, tmp_path, capsys):
    pem = tmp_path / "mfo.pem"
    pem.write_text(_pem())
    as_json = tmp_path / "receipt.json"
    as_json.write_text(json.dumps(receipt_json(receipt)))
    as_pdf = tmp_path / "receipt.pdf"
    as_pdf.write_bytes(receipt_pdf(receipt))
    assert as_pdf.read_bytes().startswith(b"%PDF")
    for path in (as_json, as_pdf):
        call_command("verify_receipt", str(path), public_key=str(pem))
        assert "Receipt valid" in capsys.readouterr().out
    forged = json.loads(as_json.read_text())
    forged["receipt"]["direction"] = "inbound"
    as_json.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="NOT valid"):
        call_command("verify_receipt", str(as_json), public_key=str(pem))


@pytest.mark.req("R-RCPT-1")
def test_other_key_does_not_verify(receipt):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = crypto.public_key_pem(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(ValueError):
        verify_receipt_json(json.dumps(receipt_json(receipt)), other)


@pytest.mark.req("R-RCPT-1")
def test_public_key_endpoints(client):
    api = client.get("/api/v1/records/public-key").json()
    assert api["algorithm"] == "Ed25519" and api["public_key_pem"] == _pem()
    page = client.get("/records/public-key.pem")
    assert page.status_code == 200 and page.content.decode() == _pem()


@pytest.mark.req("R-RCPT-1")
def test_client_receipt_view_only_for_the_owner(receipt, client_obj):
    from qaryz.clients.models import Client

    request = RequestFactory().get("/")
    request.client = client_obj
    response = client_receipt(request, str(receipt.pk), "pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="receipt.downloaded", actor_id=str(client_obj.pk)).exists()
    stranger = Client.objects.create(kind="individual", iin="850202400456", phone="+77015550000")
    request.client = stranger
    from django.http import Http404

    with pytest.raises(Http404):
        client_receipt(request, str(receipt.pk), "json")
