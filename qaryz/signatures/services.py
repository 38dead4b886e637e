"""Signing requests and signature acceptance: the only writers of the signatures room.

``create_signing_request`` fixes the exact bytes to be signed: a canonical JSON envelope with the
document's SHA-256 (and its text when short), the purpose, the client's IIN/BIN, a server nonce
and an expiry (R-AUTH-5). ``submit_signature`` verifies a CMS against those stored bytes – never
against anything the client sends – and accepts it at most once (R-ONB-4, R-ONB-6, R-SIGN-1).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from qaryz.clients.models import Client

from . import archive
from .cms import CmsFormatError, decode_input
from .models import PURPOSES, SignatureVerification, SigningRequest
from .ports import RevocationChecker
from .testpki import ClientKey, TestPki, client_label
from .testpki_gost import GostTestPki, open_test_pki
from .verify import Reason, TrustStore, VerificationResult, verify_cms
from .xmldsig import looks_like_xml, sign_xml, verify_xml

logger = logging.getLogger("qaryz.signatures")
PURPOSE_CODES = {code for code, _label in PURPOSES}
TEXT_IN_ENVELOPE_LIMIT = 16 * 1024
ENVELOPE_FORMAT = "qaryz-eds-request/1"


GOST_SUBDIR = "gost"  # the GOST test PKI lives beside the RSA one
DEMO_ALGORITHMS = ("rsa", "gost")


class SigningRequestError(ValueError):
    """The signing request cannot be created (unknown purpose, no authorised signer, ...)."""


# --- configuration -----------------------------------------------------------------------
@lru_cache(maxsize=4)
def _trust_store(roots_dir: str, intermediates_dir: str, test_pki_dir: str, trust_test: bool) -> TrustStore:
    roots = TrustStore.load_pem_dir(roots_dir)
    intermediates = TrustStore.load_pem_dir(intermediates_dir)
    if trust_test:
        for directory in (Path(test_pki_dir), Path(test_pki_dir) / GOST_SUBDIR):
            if TestPki.exists(directory):
                pki = open_test_pki(directory)
                roots.append(pki.root)
                intermediates.append(pki.intermediate)
    return TrustStore(roots, intermediates)


def trust_store() -> TrustStore:
    return _trust_store(
        settings.EDS_TRUSTED_ROOTS_DIR,
        settings.EDS_INTERMEDIATES_DIR,
        str(settings.EDS_TEST_PKI_DIR),
        settings.EDS_TRUST_TEST_PKI,
    )


@lru_cache(maxsize=4)
def _checker(
    kind: str, test_pki_dir: str, ocsp_url: str, crl_url: str, timeout: float, cache: int
) -> RevocationChecker:
    if kind == "embedded":
        from .adapters.embedded import MultiPkiRevocationChecker

        directories = [Path(test_pki_dir), Path(test_pki_dir) / GOST_SUBDIR]
        return MultiPkiRevocationChecker([d for d in directories if TestPki.exists(d)], cache_seconds=cache)
    if kind == "http":
        from .adapters.http import HttpRevocationChecker

        return HttpRevocationChecker(ocsp_url=ocsp_url, crl_url=crl_url, timeout=timeout, cache_seconds=cache)
    raise ValueError(f"QARYZ_EDS_REVOCATION must be 'embedded' or 'http', not {kind!r}")


def revocation_checker() -> RevocationChecker:
    return _checker(
        settings.EDS_REVOCATION,
        str(settings.EDS_TEST_PKI_DIR),
        settings.EDS_OCSP_URL,
        settings.EDS_CRL_URL,
        settings.EDS_HTTP_TIMEOUT,
        settings.EDS_OCSP_CACHE_SECONDS,
    )


def reset_caches() -> None:
    """Forget cached trust stores and checkers (after settings change or a new test PKI)."""
    _trust_store.cache_clear()
    _checker.cache_clear()


# --- signing requests -------------------------------------------------------------------------
def authorised_signer_iin(client: Client) -> str:
    """IIN of the person authorised to sign for a legal entity (R-ONB-2), or ""."""
    from qaryz.clients.models import LegalEntitySigner

    signer = LegalEntitySigner.objects.filter(client=client).only("iin").first()
    return signer.iin if signer is not None else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_envelope(
    *,
    request_id: str,
    client: Client,
    signer_iin: str,
    purpose: str,
    title: str,
    content: bytes,
    media_type: str,
    nonce: str,
    issued_at: datetime,
    expires_at: datetime,
) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): the exact bytes the client signs."""
    document: dict[str, object] = {
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "media_type": media_type,
    }
    if media_type.startswith(("text/", "application/json")) and len(content) <= TEXT_IN_ENVELOPE_LIMIT:
        with contextlib.suppress(UnicodeDecodeError):
            document["text"] = content.decode("utf-8")
    envelope = {
        "format": ENVELOPE_FORMAT,
        "request_id": request_id,
        "mfo": settings.MFO_NAME,
        "purpose": purpose,
        "title": title,
        "client": {"kind": client.kind, "iin": client.iin or "", "bin": client.bin or ""},
        "signer_iin": signer_iin,
        "document": document,
        "nonce": nonce,
        "issued_at": _iso(issued_at),
        "expires_at": _iso(expires_at),
    }
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sniff_media_type(content: bytes) -> str:
    """What the document is, when the caller does not say: PDF, UTF-8 text or opaque bytes."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def create_signing_request(
    client: Client,
    purpose: str,
    content: bytes,
    *,
    title: str,
    media_type: str | None = None,
    signer_iin: str | None = None,
    ttl_seconds: int | None = None,
) -> SigningRequest:
    """A request to sign ``content``; the bytes to sign embed a fresh nonce and an expiry (R-AUTH-5).

    For a legal entity the signature must come from its authorised signer on record
    (``clients.LegalEntitySigner``: the head or an attorney, R-ONB-2) and carry the entity's BIN.
    """
    if purpose not in PURPOSE_CODES:
        raise SigningRequestError(f"unknown purpose {purpose!r}")
    media_type = media_type or sniff_media_type(content)
    if not isinstance(content, bytes) or not content:
        raise SigningRequestError("nothing to sign")
    if client.kind == Client.Kind.LEGAL_ENTITY:
        authorised = authorised_signer_iin(client)
        if not authorised:
            raise SigningRequestError("the legal entity has no authorised signer on record")
        if signer_iin and signer_iin != authorised:
            raise SigningRequestError("this person is not the legal entity's authorised signer")
        expected_iin, expected_bin = authorised, client.bin or ""
    else:
        if signer_iin and signer_iin != client.iin:
            raise SigningRequestError("an individual signs for themselves")
        expected_iin, expected_bin = client.iin or "", ""
    now = timezone.now().replace(microsecond=0)
    expires = now + timedelta(seconds=ttl_seconds or settings.EDS_REQUEST_TTL_SECONDS)
    request = SigningRequest(
        client=client,
        purpose=purpose,
        title=str(title)[:300],  # callers may pass a lazy translation
        document=content,
        document_media_type=media_type,
        document_sha256=hashlib.sha256(content).hexdigest(),
        nonce=secrets.token_hex(16),
        expected_signer_iin=expected_iin,
        expected_bin=expected_bin,
        created_at=now,
        expires_at=expires,
    )
    payload = build_envelope(
        request_id=str(request.pk),
        client=client,
        signer_iin=expected_iin,
        purpose=purpose,
        title=request.title,
        content=content,
        media_type=media_type,
        nonce=request.nonce,
        issued_at=now,
        expires_at=expires,
    )
    request.payload = payload
    request.payload_sha256 = hashlib.sha256(payload).hexdigest()
    with transaction.atomic():
        request.save(force_insert=True)
        archive.audit(
            "signatures.request_created",
            client=client,
            target=request,
            data={"purpose": purpose, "title": request.title, "payload_sha256": request.payload_sha256},
        )
    return request


# --- accepting a signature ---------------------------------------------------------------------
def _precheck(signing_request: SigningRequest, signature_sha256: str, now: datetime) -> str:
    """Replay, expiry and the signer's authority, checked before and again under the row lock."""
    if signing_request.status == SigningRequest.Status.ACCEPTED:
        return Reason.REPLAYED
    if SignatureVerification.objects.filter(signature_sha256=signature_sha256, accepted=True).exists():
        return Reason.REPLAYED
    if now > signing_request.expires_at:
        return Reason.EXPIRED_REQUEST
    if signing_request.verifications.filter(accepted=False).count() >= settings.EDS_MAX_ATTEMPTS:
        return Reason.EXPIRED_REQUEST  # closed after too many failed attempts
    if signing_request.expected_bin and (
        authorised_signer_iin(signing_request.client) != signing_request.expected_signer_iin
    ):
        return Reason.IIN_MISMATCH  # the entity's authorised signer changed since the request was made
    return ""


XML_NAMESPACE = "urn:qaryz:eds-request:1"


def xml_to_sign(signing_request: SigningRequest) -> bytes:
    """The document to give NCALayer's ``signXml`` for this request: the request's exact bytes (the
    canonical JSON envelope with its nonce and expiry) as the text of one element. A signature over it
    is verified against this document, rebuilt from the stored bytes, never against what is sent."""
    from lxml import etree

    root = etree.Element(f"{{{XML_NAMESPACE}}}qaryzEdsRequest", nsmap={None: XML_NAMESPACE})
    root.set("format", "qaryz-eds-request/1")
    root.set("request", str(signing_request.pk))
    etree.SubElement(root, f"{{{XML_NAMESPACE}}}payload").text = bytes(signing_request.payload).decode(
        "utf-8"
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def verify_for_request(signing_request: SigningRequest, der: bytes, *, now: datetime) -> VerificationResult:
    """CMS (createCAdESFromBase64) or enveloped XMLDSig (signXml over ``xml_to_sign``)."""
    if looks_like_xml(der):
        return verify_xml(
            der,
            xml_to_sign(signing_request),
            trust=trust_store(),
            revocation=revocation_checker(),
            now=now,
            expected_iin=signing_request.expected_signer_iin,
            expected_bin=signing_request.expected_bin or None,
        )
    return verify_cms(
        der,
        bytes(signing_request.payload),
        trust=trust_store(),
        revocation=revocation_checker(),
        now=now,
        expected_iin=signing_request.expected_signer_iin,
        expected_bin=signing_request.expected_bin or None,
        window=(signing_request.created_at, signing_request.expires_at),
    )


def submit_signature(
    signing_request: SigningRequest,
    client: Client,
    cms: bytes | str,
    *,
    channel: str = "web",
    request: HttpRequest | None = None,
) -> SignatureVerification:
    """Verify ``cms`` for ``signing_request`` on behalf of ``client``; accept it at most once.

    Every attempt leaves a SignatureVerification (accepted, or with its reason code) and an audit
    event. Raises SigningRequest.DoesNotExist when the request is not the client's.
    """
    if signing_request.client_id != client.pk:
        raise SigningRequest.DoesNotExist("signing request of another client")
    now = timezone.now()
    try:
        if looks_like_xml(cms):
            raise CmsFormatError("signed XML")  # kept as received
        der = decode_input(cms)
    except CmsFormatError:
        der = cms.encode("utf-8", "replace") if isinstance(cms, str) else bytes(cms)
    signature_sha256 = hashlib.sha256(der).hexdigest()

    result: VerificationResult | None = None
    if not _precheck(signing_request, signature_sha256, now):
        # Network calls (OCSP/CRL) happen outside the transaction; the outcome is re-checked under lock.
        result = verify_for_request(signing_request, der, now=now)

    with transaction.atomic():
        locked = SigningRequest.objects.select_for_update().get(pk=signing_request.pk)
        reason = _precheck(locked, signature_sha256, now)
        if not reason and result is not None and not result.ok:
            reason = result.reason
        if not reason and result is None:  # pragma: no cover - defensive: prechecks changed under us
            reason = Reason.REPLAYED
        summary = result.as_dict() if result is not None else {"ok": False, "reason": reason}
        if reason and summary.get("reason") != reason:
            summary = {**summary, "ok": False, "reason": reason}
        signer = result.signer if result is not None else None
        cert = result.certificate if result is not None else None
        revocation = result.revocation if result is not None else None
        verification = SignatureVerification.objects.create(
            signing_request=locked,
            client=client,
            channel=channel[:16],
            accepted=not reason,
            reason=reason,
            detail=(result.detail if result is not None and result.reason == reason else "")[:2000],
            signature_sha256=signature_sha256,
            signer_iin=signer.iin if signer else "",
            signer_bin=signer.bin if signer else "",
            signer_name=(signer.common_name if signer else "")[:300],
            certificate_serial=f"{cert.serial_number:x}"[:64] if cert else "",
            certificate_sha256=summary["certificate"]["sha256"] if cert else "",  # type: ignore[index]
            signing_time=result.signing_time if result is not None else None,
            revocation_source=revocation.source if revocation else "",
            result=summary,
            signature=der,
            ocsp_response=revocation.ocsp_response if revocation else None,
        )
        if verification.accepted:
            locked.status = SigningRequest.Status.ACCEPTED
            locked.accepted_at = now
            locked.save(update_fields=["status", "accepted_at"])
            verification.vault_documents = archive.archive_accepted(verification, locked, channel)
            verification.save(update_fields=["vault_documents"])
            archive.audit(
                "signatures.signature_accepted",
                client=client,
                target=locked,
                data={
                    "purpose": locked.purpose,
                    "signer_iin": verification.signer_iin,
                    "certificate_serial": verification.certificate_serial,
                    "revocation_source": verification.revocation_source,
                    "channel": channel,
                },
                request=request,
            )
        else:
            archive.audit(
                "signatures.signature_rejected",
                category="security",
                client=client,
                target=locked,
                data={"reason": reason, "channel": channel, "signer_iin": verification.signer_iin},
                request=request,
            )
            _close_after_too_many_failures(locked, now)
    signing_request.refresh_from_db()
    return verification


def _close_after_too_many_failures(signing_request: SigningRequest, now: datetime) -> None:
    """Each attempt may cost an OCSP call to the CA: after EDS_MAX_ATTEMPTS failures the request
    expires (later attempts get expired_request) and the caller starts a new one."""
    failures = signing_request.verifications.filter(accepted=False).count()
    if failures < settings.EDS_MAX_ATTEMPTS or signing_request.expires_at <= now:
        return
    signing_request.expires_at = max(now, signing_request.created_at + timedelta(seconds=1))
    signing_request.save(update_fields=["expires_at"])


# --- the demo test signer and test keys ------------------------------------------------------------
def _test_pki() -> TestPki:
    directory = Path(settings.EDS_TEST_PKI_DIR)
    if not TestPki.exists(directory):
        raise PermissionDenied("no test PKI: run manage.py create_test_pki")
    return TestPki(directory)


def ensure_gost_test_pki() -> GostTestPki:
    """The GOST test PKI beside the RSA one (``<EDS_TEST_PKI_DIR>/gost``), created on first use."""
    directory = Path(settings.EDS_TEST_PKI_DIR) / GOST_SUBDIR
    if GostTestPki.exists(directory):
        return GostTestPki(directory)
    pki = GostTestPki.create(directory, base_url=settings.EDS_TEST_PKI_URL)
    reset_caches()
    return pki


def ensure_test_pki() -> TestPki:
    directory = Path(settings.EDS_TEST_PKI_DIR)
    if TestPki.exists(directory):
        return TestPki(directory)
    pki = TestPki.create(directory, base_url=settings.EDS_TEST_PKI_URL)
    reset_caches()
    return pki


def _client_names(client: Client) -> tuple[str, str]:
    surname = (client.surname or "TEST").upper()
    given = (client.given_name or "CLIENT").upper()
    return surname, given


def issue_test_key(client: Client, *, algorithm: str = "rsa") -> ClientKey:
    """A test-PKI key for ``client`` (idempotent). For a legal entity: its signer's key with the BIN.
    ``algorithm`` "gost" issues it from the GOST test PKI (GOST 2015, 512-bit)."""
    pki = ensure_gost_test_pki() if algorithm == "gost" else ensure_test_pki()
    if client.kind == Client.Kind.LEGAL_ENTITY:
        from qaryz.clients.models import LegalEntitySigner

        signer = LegalEntitySigner.objects.filter(client=client).first()
        if signer is None:
            raise SigningRequestError("the legal entity has no authorised signer on record")
        label = client_label(signer.iin, client.bin or "")
        existing = pki.client_key(label)
        if existing is not None:
            return existing
        return pki.issue_client(
            iin=signer.iin,
            surname=(signer.surname or "SIGNER").upper(),
            given_name=(signer.given_name or "TEST").upper(),
            bin=client.bin or "",
            organisation=client.legal_name,
        )
    label = client_label(client.iin or "")
    existing = pki.client_key(label)
    if existing is not None:
        return existing
    surname, given = _client_names(client)
    return pki.issue_client(iin=client.iin or "", surname=surname, given_name=given)


def demo_sign(signing_request: SigningRequest, *, algorithm: str = "rsa", xml: bool = False) -> bytes:
    """DEMO ONLY: sign the request's bytes server-side with the client's test key (RSA, or "gost"):
    a detached CMS, or with ``xml`` the enveloped XMLDSig that NCALayer's signXml would return."""
    if not settings.DEMO_MODE:
        raise PermissionDenied("the test signer exists only in demo mode")
    if algorithm not in DEMO_ALGORITHMS:
        raise ValueError(f"unknown demo key algorithm {algorithm!r}")
    key = issue_test_key(signing_request.client, algorithm=algorithm)
    pki = ensure_gost_test_pki() if algorithm == "gost" else _test_pki()
    if xml:
        return sign_xml(
            xml_to_sign(signing_request),
            key.certificate,
            key.private_key,
            extra_certificates=[pki.intermediate],
        )
    return pki.sign(key.label, bytes(signing_request.payload))
