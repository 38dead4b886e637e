"""Signing a lending document – the contract or an amendment – the one way R-SIGN-1 allows.

Shared by ``services`` (contracts) and ``amendments``: the EDS signing request over the exact PDF
(kept, or replaced once it can no longer be signed), then ``seal``: a fresh, unconsumed biometric
identification made after the document was prepared (consumed: single use) **and** an accepted EDS
signature over that PDF (not for an IE's business loan); the evidence goes onto the document, into
the vault and the audit trail.

A "document" is a locked ``Contract`` or ``ContractAmendment`` row: both have ``status`` (draft /
signed), ``pdf_sha256``, ``vault_document_id`` (the PDF itself is only in the vault), ``signing_request_id``,
``signature_evidence``, ``number``, ``created_at`` and ``signed_at``.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.clients.models import Client
from qaryz.lending.errors import FlowError
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document

EDS_PURPOSE = "contract_signing"
SIGNED = "signed"


def eds_required(client: Client) -> bool:
    """R-SIGN-1: an IE's business-loan contract (and its amendments) needs no EDS; all else does."""
    return client.kind != Client.Kind.ENTREPRENEUR


def signing_request_id(document: Any, client: Client, *, title: str) -> str:
    """The id of the EDS signing request over the document's PDF, read from the vault and checked
    against ``pdf_sha256`` ("" when no EDS is needed).

    The stored request is kept while it can still be signed or once it was signed; an expired or
    closed one is replaced by a new request (``signatures.selectors.keep_signing_request``), so a
    client who comes back after the request's lifetime can still sign.
    """
    if not eds_required(client):
        return ""
    from qaryz.lending.selectors import document_pdf
    from qaryz.signatures.selectors import keep_signing_request
    from qaryz.signatures.services import create_signing_request

    previous = document.signing_request_id
    if keep_signing_request(previous):
        return previous
    signing_request = create_signing_request(
        client, EDS_PURPOSE, document_pdf(document), title=title, media_type="application/pdf"
    )
    document.signing_request_id = str(signing_request.pk)
    document.save(update_fields=["signing_request_id"])
    if previous:
        audit(
            "lending.signing_request_replaced",
            actor=client,
            target=document,
            data={"number": document.number, "previous": previous, "new": document.signing_request_id},
        )
    return document.signing_request_id


def seal(document: Any, client: Client, *, kind: str) -> dict[str, Any]:
    """Check both factors, consume the biometric verification, mark ``document`` signed and keep
    the evidence (document row, vault, audit). Raises FlowError naming the missing factor."""
    from qaryz.biometrics.selectors import fresh_verification
    from qaryz.biometrics.services import consume_verification
    from qaryz.leaks.selectors import leak_marked_at, needs_repeat_biometrics

    verification = fresh_verification(client, EDS_PURPOSE)
    if verification is None or verification.created_at < document.created_at:
        raise FlowError(_("Pass the biometric identification first."), "biometrics")
    # R-LEAK-1: after a data-leak mark the identification must be one made after the mark.
    repeat = needs_repeat_biometrics(client)
    if repeat and verification.created_at < leak_marked_at(client):
        raise FlowError(
            _("Pass the biometric identification again: your data need a new check."), "biometrics"
        )
    evidence: dict[str, Any] = {"biometric_verification": str(verification.pk)}
    vault_extra: dict[str, Any] = {
        "biometric_best_frame_document": verification.best_frame_document,
        "biometric_similarity_document": verification.similarity_document,
        "biometric_provider": verification.provider,
    }
    if eds_required(client):
        from qaryz.signatures.models import SigningRequest
        from qaryz.signatures.selectors import accepted_signature

        signing_request = (
            SigningRequest.objects.filter(pk=document.signing_request_id).first()
            if document.signing_request_id
            else None
        )
        signature = accepted_signature(signing_request) if signing_request is not None else None
        if signature is None or signing_request.document_sha256 != document.pdf_sha256:
            raise FlowError(_("Sign with your EDS first."), "eds")
        evidence.update(signing_request=str(signing_request.pk), signature_verification=str(signature.pk))
        vault_extra.update(
            signature_documents=signature.vault_documents,
            signer_iin=signature.signer_iin,
            certificate_serial=signature.certificate_serial,
        )
    consume_verification(verification)
    if repeat:
        from qaryz.leaks.services import repeat_biometrics_passed

        repeat_biometrics_passed(client, verification_id=verification.pk, action=f"{kind}_signing")
    document.status = SIGNED
    document.signed_at = timezone.now()
    document.signature_evidence = evidence
    document.save(update_fields=["status", "signed_at", "signature_evidence"])
    store_document(
        json.dumps(
            {
                "document": document.number,
                "kind": kind,
                "pdf_sha256": document.pdf_sha256,
                "pdf_document": document.vault_document_id,
                "signed_at": document.signed_at.isoformat(),
                **evidence,
                **vault_extra,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode(),
        media_type="application/json",
        kind=f"loan_{kind}_signing_evidence",
        direction="internal",
        owner=client,
        filename=f"{document.number}-evidence.json",
    )
    audit(f"lending.{kind}_signed", actor=client, target=document, data=evidence)
    return evidence
