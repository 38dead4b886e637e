"""Signing requests bound to a server nonce, accepted once (R-AUTH-5), and the EDS steps of
registration, phone/bank changes and contracts (R-ONB-4, R-ONB-6, R-SIGN-1)."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from qaryz.clients.models import Client
from qaryz.signatures import selectors, services
from qaryz.signatures.models import SignatureVerification, SigningRequest
from qaryz.signatures.verify import Reason

from .conftest import ENTITY_BIN, GOOD_IIN, OTHER_IIN, SIGNER_IIN, Pki

pytestmark = pytest.mark.django_db


def make_client(iin: str = GOOD_IIN, phone: str = "+77011234567", **kwargs: object) -> Client:
    defaults: dict[str, object] = {
        "kind": Client.Kind.INDIVIDUAL,
        "iin": iin,
        "phone": phone,
        "surname": "Сапаров",
        "given_name": "Аскар",
    }
    defaults.update(kwargs)
    return Client.objects.create(**defaults)


def sign(pki: Pki, label: str, request: SigningRequest) -> bytes:
    return pki.pki.sign(label, bytes(request.payload))


@pytest.mark.req("R-AUTH-5")
def test_signed_bytes_embed_document_hash_purpose_iin_nonce_and_expiry(eds_settings: Pki) -> None:
    client = make_client()
    document = "Заявление о смене номера телефона на +77017654321".encode()
    first = services.create_signing_request(client, "change_phone", document, title="Смена номера")
    second = services.create_signing_request(client, "change_phone", document, title="Смена номера")
    envelope = json.loads(bytes(first.payload))
    assert envelope["document"]["sha256"] == first.document_sha256
    assert envelope["document"]["text"] == document.decode()
    assert envelope["purpose"] == "change_phone" and envelope["client"]["iin"] == GOOD_IIN
    assert envelope["nonce"] == first.nonce and len(first.nonce) == 32
    assert envelope["expires_at"].startswith(first.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"))
    assert first.nonce != second.nonce and first.payload != second.payload  # same document, new bytes
    with pytest.raises(services.SigningRequestError):
        services.create_signing_request(client, "lottery", document, title="?")


@pytest.mark.req("R-ONB-4", "R-ONB-6", "R-SIGN-1")
def test_known_good_signature_is_accepted_and_exposed_to_other_rooms(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(client, "contract_signing", b"Contract No. 1", title="Contract")
    assert selectors.accepted_signature(request) is None
    verification = services.submit_signature(
        request, client, sign(eds_settings, eds_settings.good.label, request)
    )
    assert verification.accepted, verification.detail
    assert verification.reason == "" and verification.signer_iin == GOOD_IIN
    assert verification.revocation_source == "ocsp" and verification.ocsp_response
    assert verification.result["ok"] is True
    request.refresh_from_db()
    assert request.status == SigningRequest.Status.ACCEPTED and request.accepted_at is not None
    assert selectors.accepted_signature(request) == verification


@pytest.mark.req("R-AUTH-5")
def test_the_same_signature_is_accepted_once(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(client, "registration", b"I agree", title="Registration")
    cms = sign(eds_settings, eds_settings.good.label, request)
    assert services.submit_signature(request, client, cms).accepted
    again = services.submit_signature(request, client, cms)
    assert not again.accepted and again.reason == Reason.REPLAYED
    # Replayed on a new request for the very same document: refused as well.
    newer = services.create_signing_request(client, "registration", b"I agree", title="Registration")
    moved = services.submit_signature(newer, client, cms)
    assert not moved.accepted and moved.reason == Reason.REPLAYED
    # A fresh signature of the new request's bytes is fine.
    assert services.submit_signature(
        newer, client, sign(eds_settings, eds_settings.good.label, newer)
    ).accepted
    assert SignatureVerification.objects.filter(accepted=True).count() == 2


@pytest.mark.req("R-AUTH-5")
def test_database_refuses_a_second_accepted_signature_for_a_request(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(client, "registration", b"I agree", title="Registration")
    first = services.submit_signature(request, client, sign(eds_settings, eds_settings.good.label, request))
    with pytest.raises(IntegrityError), transaction.atomic():
        SignatureVerification.objects.create(
            signing_request=request, client=client, accepted=True, signature_sha256="0" * 64, signature=b"x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        other = services.create_signing_request(client, "registration", b"x", title="x")
        SignatureVerification.objects.create(
            signing_request=other,
            client=client,
            accepted=True,
            signature_sha256=first.signature_sha256,
            signature=b"x",
        )


@pytest.mark.req("R-AUTH-5")
def test_expired_request_is_refused(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(
        client, "change_bank", b"IBAN KZ..", title="Bank", ttl_seconds=60
    )
    cms = sign(eds_settings, eds_settings.good.label, request)
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        verification = services.submit_signature(request, client, cms)
    assert not verification.accepted and verification.reason == Reason.EXPIRED_REQUEST
    # Control: before expiry the very same signature is accepted.
    assert services.submit_signature(request, client, cms).accepted


@pytest.mark.req("R-ONB-4", "R-ONB-6", "R-SIGN-1")
def test_signature_with_another_persons_eds_is_refused(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(client, "change_phone", b"phone", title="Phone")
    verification = services.submit_signature(
        request, client, sign(eds_settings, eds_settings.other.label, request)
    )
    assert not verification.accepted and verification.reason == Reason.IIN_MISMATCH
    assert verification.signer_iin == OTHER_IIN
    assert selectors.accepted_signature(request) is None


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_failures_are_recorded_with_their_reason(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(client, "contract_signing", b"contract", title="Contract")
    wrong_content = eds_settings.pki.sign(eds_settings.good.label, b"another contract")
    expired = sign(eds_settings, "expired", request)
    outcomes = [
        services.submit_signature(request, client, cms).reason for cms in (wrong_content, expired, "garbage")
    ]
    assert outcomes == [Reason.CONTENT_MISMATCH, Reason.EXPIRED, Reason.BAD_SIGNATURE]
    assert list(request.verifications.values_list("accepted", flat=True)) == [False, False, False]
    request.refresh_from_db()
    assert request.status == SigningRequest.Status.PENDING


@pytest.mark.req("R-ONB-4", "R-AUTH-5")
def test_revoked_and_responder_down_are_refused_through_the_service(eds_settings: Pki) -> None:
    client = make_client()
    request = services.create_signing_request(client, "registration", b"agree", title="Registration")
    cms = sign(eds_settings, eds_settings.good.label, request)
    eds_settings.server.set_online(ocsp=False, crl=False)
    try:
        down = services.submit_signature(request, client, cms)
    finally:
        eds_settings.server.set_online()
    assert not down.accepted and down.reason == Reason.REVOCATION_UNKNOWN
    key = eds_settings.fresh()
    eds_settings.pki.revoke(key.certificate)
    revoked = services.submit_signature(
        request, client, eds_settings.pki.sign_with(key, bytes(request.payload))
    )
    assert revoked.reason == Reason.REVOKED
    assert services.submit_signature(request, client, cms).accepted  # control: responder back, good key


def test_another_clients_request_cannot_be_used(eds_settings: Pki) -> None:
    owner = make_client()
    intruder = make_client(iin=OTHER_IIN, phone="+77019998877")
    request = services.create_signing_request(owner, "registration", b"agree", title="Registration")
    with pytest.raises(SigningRequest.DoesNotExist):
        services.submit_signature(request, intruder, sign(eds_settings, eds_settings.other.label, request))
    assert selectors.signing_request_for_client(request.pk, intruder) is None
    assert selectors.signing_request_for_client("not-a-uuid", owner) is None


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_legal_entity_signs_through_its_authorised_signer_with_its_bin(eds_settings: Pki) -> None:
    from qaryz.clients.models import LegalEntitySigner

    entity = Client.objects.create(
        kind=Client.Kind.LEGAL_ENTITY, bin=ENTITY_BIN, legal_name="ТОО «Тест»", phone="+77015550000"
    )
    with pytest.raises(services.SigningRequestError):  # no authorised signer on record yet
        services.create_signing_request(entity, "contract_signing", b"contract", title="Contract")
    signer = LegalEntitySigner.objects.create(
        client=entity, surname="Директоров", given_name="Директор", iin=SIGNER_IIN
    )
    with pytest.raises(services.SigningRequestError):  # someone else claiming to sign for it
        services.create_signing_request(
            entity, "contract_signing", b"contract", title="Contract", signer_iin=OTHER_IIN
        )
    request = services.create_signing_request(entity, "contract_signing", b"contract", title="Contract")
    assert request.expected_signer_iin == SIGNER_IIN and request.expected_bin == ENTITY_BIN
    # The director's personal key (no BIN) is refused; the key with the entity's BIN is accepted.
    personal = eds_settings.pki.issue_client(
        iin=SIGNER_IIN, surname="ДИРЕКТОРОВ", given_name="Д", store=False
    )
    assert (
        services.submit_signature(
            request, entity, eds_settings.pki.sign_with(personal, bytes(request.payload))
        ).reason
        == Reason.BIN_MISMATCH
    )
    entity_cms = sign(eds_settings, eds_settings.entity_signer.label, request)
    # If the entity's authorised signer changes before submission, the old signer's signature is refused.
    LegalEntitySigner.objects.filter(pk=signer.pk).update(iin=OTHER_IIN)
    assert services.submit_signature(request, entity, entity_cms).reason == Reason.IIN_MISMATCH
    LegalEntitySigner.objects.filter(pk=signer.pk).update(iin=SIGNER_IIN)
    assert services.submit_signature(request, entity, entity_cms).accepted


@pytest.mark.req("R-ARCH-1", "R-SIGN-1")
def test_accepted_signature_artefacts_are_kept_in_the_vault_and_audited(eds_settings: Pki) -> None:
    from qaryz.records.models import AuditEvent, StoredDocument
    from qaryz.records.services import read_document

    client = make_client()
    request = services.create_signing_request(client, "contract_signing", b"Contract No. 7", title="Contract")
    cms = sign(eds_settings, eds_settings.good.label, request)
    verification = services.submit_signature(request, client, cms)
    assert verification.accepted
    docs = {role: StoredDocument.objects.get(pk=pk) for role, pk in verification.vault_documents.items()}
    assert set(docs) == {"signed_content", "signature", "verification", "ocsp_response"}
    assert read_document(docs["signed_content"]) == bytes(request.payload)
    assert read_document(docs["signature"]) == cms
    assert json.loads(read_document(docs["verification"]))["signer"]["iin"] == GOOD_IIN
    assert read_document(docs["ocsp_response"]) == bytes(verification.ocsp_response)
    assert {d.reference for d in docs.values()} == {f"signatures.signingrequest:{request.pk}"}
    actions = list(AuditEvent.objects.filter(target_id=str(request.pk)).values_list("action", flat=True))
    assert "signatures.request_created" in actions and "signatures.signature_accepted" in actions
    services.submit_signature(request, client, cms)  # replay
    assert AuditEvent.objects.filter(action="signatures.signature_rejected", category="security").exists()


@pytest.mark.req("R-ONB-4")
def test_demo_signer_only_in_demo_mode(eds_settings: Pki, settings) -> None:
    client = make_client(iin="770707300777", phone="+77017770777")
    request = services.create_signing_request(client, "registration", b"agree", title="Registration")
    settings.DEMO_MODE = False
    with pytest.raises(PermissionDenied):
        services.demo_sign(request)
    settings.DEMO_MODE = True
    verification = services.submit_signature(request, client, services.demo_sign(request), channel="demo")
    assert verification.accepted, verification.detail
    assert verification.signer_iin == "770707300777"


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_trusted_roots_come_from_the_configured_directory(eds_settings: Pki, settings, tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization

    client = make_client()
    request = services.create_signing_request(client, "registration", b"agree", title="Registration")
    cms = sign(eds_settings, eds_settings.good.label, request)
    settings.EDS_TRUST_TEST_PKI = False  # production: the test root is not trusted...
    services.reset_caches()
    refused = services.submit_signature(request, client, cms)
    assert refused.reason == Reason.UNTRUSTED_CHAIN
    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "root.pem").write_bytes(eds_settings.pki.root.public_bytes(serialization.Encoding.PEM))
    settings.EDS_TRUSTED_ROOTS_DIR = str(roots)  # ...unless an operator puts it in the roots directory
    services.reset_caches()
    assert services.submit_signature(request, client, cms).accepted


def test_lazy_translated_title_is_stored_as_text(eds_settings: Pki) -> None:
    from django.utils.translation import gettext_lazy

    request = services.create_signing_request(
        make_client(), "registration", b"x", title=gettext_lazy("Registration")
    )
    assert json.loads(bytes(request.payload))["title"] == request.title == "Регистрация"


@pytest.mark.req("R-AUTH-5")
def test_request_closes_after_too_many_failed_attempts(eds_settings: Pki, settings) -> None:
    settings.EDS_MAX_ATTEMPTS = 3
    client = make_client()
    request = services.create_signing_request(client, "change_phone", b"phone", title="Phone")
    wrong = sign(eds_settings, eds_settings.other.label, request)
    before = eds_settings.server.ocsp_requests
    reasons = [services.submit_signature(request, client, wrong).reason for _ in range(3)]
    assert reasons == [Reason.IIN_MISMATCH] * 3
    assert selectors.open_signing_request(request.pk) is None
    good = services.submit_signature(request, client, sign(eds_settings, eds_settings.good.label, request))
    assert not good.accepted and good.reason == Reason.EXPIRED_REQUEST
    assert eds_settings.server.ocsp_requests == before  # IIN checked before revocation; none after closing


@pytest.mark.req("R-ONB-4", "R-ONB-6", "R-SIGN-1", "R-AUTH-5")
def test_signxml_output_is_verified_against_the_request_and_archived_as_xml(eds_settings: Pki) -> None:
    """NCALayer's signXml path: the XML to sign carries the request's exact bytes; the signed XML is
    verified against that document rebuilt from the stored bytes, accepted once, kept as XML."""
    from lxml import etree

    from qaryz.records.models import StoredDocument
    from qaryz.records.services import read_document
    from qaryz.signatures import xmldsig

    client = make_client()
    request = services.create_signing_request(client, "contract_signing", b"Contract No. 8", title="Contract")
    document = services.xml_to_sign(request)
    root = etree.fromstring(document)
    assert root[0].text is not None and root[0].text.encode() == bytes(request.payload)
    key = eds_settings.good
    extra = [eds_settings.pki.intermediate]
    # a valid signature over another request's XML is refused: the nonce differs
    other = services.create_signing_request(client, "contract_signing", b"Contract No. 8", title="Contract")
    foreign = xmldsig.sign_xml(
        services.xml_to_sign(other), key.certificate, key.private_key, extra_certificates=extra
    )
    refused = services.submit_signature(request, client, foreign.decode())
    assert not refused.accepted and refused.reason == Reason.CONTENT_MISMATCH
    signed = xmldsig.sign_xml(document, key.certificate, key.private_key, extra_certificates=extra)
    verification = services.submit_signature(request, client, signed.decode())
    assert verification.accepted, verification.detail
    assert verification.signer_iin == GOOD_IIN and verification.revocation_source == "ocsp"
    assert bytes(verification.signature) == signed
    stored = StoredDocument.objects.get(pk=verification.vault_documents["signature"])
    assert stored.media_type == "application/xml" and read_document(stored) == signed
    assert services.submit_signature(request, client, signed).reason == Reason.REPLAYED


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_demo_signer_can_answer_like_signxml(eds_settings: Pki, settings) -> None:
    client = make_client(iin="770707300777", phone="+77017770777")
    request = services.create_signing_request(client, "registration", b"agree", title="Registration")
    settings.DEMO_MODE = True
    signed = services.demo_sign(request, xml=True)
    assert signed.startswith(b"<?xml") and b"ds:Signature" in signed
    verification = services.submit_signature(request, client, signed, channel="demo")
    assert verification.accepted, verification.detail
