"""OCSP (RFC 6960) and CRL (RFC 5280) client logic, independent of transport (pure).

``OcspCrlChecker`` asks the OCSP responder first (with a nonce; the response must be signed by
the issuing CA or by a responder certificate the CA issued with id-kp-OCSPSigning, must answer
for this very certificate and be fresh), and falls back to the CA's CRL (signature by the CA,
nextUpdate not passed). If neither gives a trustworthy answer the status is UNKNOWN and the
verifier fails closed. Transport is injected: HTTP in production, in-process in the demo.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from .gost import GostError
from .gostx509 import gost_issued_by, gost_key, key_hash, verify_signed
from .ports import RevocationState, RevocationStatus

CLOCK_SKEW = timedelta(minutes=5)


class RevocationError(Exception):
    """An answer that cannot be trusted or could not be obtained."""


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def publishes_revocation(cert: x509.Certificate) -> bool:
    """Whether the certificate names an OCSP responder or a CRL for itself."""
    return bool(ocsp_urls(cert) or crl_urls(cert))


def crl_urls(cert: x509.Certificate) -> list[str]:
    try:
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    urls = []
    for point in cdp:
        for name in point.full_name or []:
            if isinstance(name, x509.UniformResourceIdentifier):
                urls.append(name.value)
    return urls


def _cert_id_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """CertID's issuerNameHash and issuerKeyHash (RFC 6960), computed from the DER so that GOST
    issuers (whose keys ``cryptography`` cannot load) work too."""
    name = hashes.Hash(algorithm)
    name.update(issuer.subject.public_bytes())
    return name.finalize(), key_hash(issuer, algorithm.name)


def build_ocsp_request(cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None) -> bytes:
    # SHA-1 CertID is what RFC 6960 responders (NCA's included) expect; it identifies, not protects.
    algorithm = hashes.SHA1()  # noqa: S303  # nosec B303
    name_hash, key_hash_ = _cert_id_hashes(issuer, algorithm)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, key_hash_, cert.serial_number, algorithm
    )
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _verify_with(
    public_key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None
) -> None:
    if algorithm is None:
        raise RevocationError("signature hash algorithm missing")
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise RevocationError(f"unsupported responder key {type(public_key).__name__}")


def _responder_matches(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    return response.responder_key_hash == key_hash(cert)


def _is_delegated_responder(candidate: x509.Certificate, issuer: x509.Certificate, now: datetime) -> bool:
    gost_answer = gost_issued_by(candidate, issuer)
    if gost_answer is False:
        return False
    if gost_answer is None:
        try:
            candidate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            return False
    try:
        eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
        return False
    return candidate.not_valid_before_utc <= now + CLOCK_SKEW and now <= candidate.not_valid_after_utc


def validate_ocsp_response(
    der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None,
    now: datetime,
    max_age: timedelta,
) -> RevocationStatus:
    """Check an OCSP response fully; raise RevocationError when it cannot be trusted."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise RevocationError("OCSP response is not DER") from exc
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise RevocationError(f"OCSP responder said {response.response_status.name}")
    # Who signed: the CA itself, or a delegated responder certificate the CA issued.
    signer: x509.Certificate | None = None
    if _responder_matches(response, issuer):
        signer = issuer
    else:
        for candidate in response.certificates:
            if _responder_matches(response, candidate) and _is_delegated_responder(candidate, issuer, now):
                signer = candidate
                break
    if signer is None:
        raise RevocationError("OCSP response not signed by the CA or an authorised responder")
    try:
        signer_gost = gost_key(signer)
    except GostError as exc:
        raise RevocationError(f"OCSP responder key: {exc}") from exc
    if signer_gost is not None:
        oid = response.signature_algorithm_oid.dotted_string
        if not verify_signed(signer_gost, oid, response.signature, response.tbs_response_bytes):
            raise RevocationError("OCSP response signature is invalid")
    else:
        try:
            _verify_with(
                signer.public_key(),
                response.signature,
                response.tbs_response_bytes,
                response.signature_hash_algorithm,
            )
        except InvalidSignature as exc:
            raise RevocationError("OCSP response signature is invalid") from exc
        except UnsupportedAlgorithm as exc:
            raise RevocationError("OCSP response signature algorithm unsupported") from exc
    if nonce is not None:
        try:
            got = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound as exc:
            raise RevocationError("OCSP response carries no nonce") from exc
        if got != nonce:
            raise RevocationError("OCSP nonce mismatch (replayed response?)")
    single = None
    for item in response.responses:
        if item.serial_number != cert.serial_number:
            continue
        try:
            name_hash, issuer_key_hash = _cert_id_hashes(issuer, item.hash_algorithm)
        except UnsupportedAlgorithm:
            continue
        if item.issuer_key_hash == issuer_key_hash and item.issuer_name_hash == name_hash:
            single = item
            break
    if single is None:
        raise RevocationError("OCSP response does not answer for this certificate")
    this_update = single.this_update_utc
    next_update = single.next_update_utc
    if this_update > now + CLOCK_SKEW:
        raise RevocationError("OCSP thisUpdate is in the future")
    if next_update is not None and next_update < now - CLOCK_SKEW:
        raise RevocationError("OCSP response is stale (nextUpdate passed)")
    if next_update is None and this_update < now - max_age:
        raise RevocationError("OCSP response is too old")
    status = single.certificate_status
    if status == ocsp.OCSPCertStatus.GOOD:
        return RevocationStatus(RevocationState.GOOD, "ocsp", now, ocsp_response=der)
    if status == ocsp.OCSPCertStatus.REVOKED:
        reason = single.revocation_reason.name if single.revocation_reason else "unspecified"
        return RevocationStatus(
            RevocationState.REVOKED,
            "ocsp",
            now,
            revoked_at=single.revocation_time_utc,
            detail=f"revoked ({reason})",
            ocsp_response=der,
        )
    raise RevocationError("OCSP responder does not know this certificate")


def load_crl(der: bytes) -> x509.CertificateRevocationList:
    try:
        return x509.load_der_x509_crl(der)
    except ValueError:
        try:
            return x509.load_pem_x509_crl(der)
        except ValueError as exc:
            raise RevocationError("CRL is neither DER nor PEM") from exc


def validate_crl(
    der: bytes | x509.CertificateRevocationList,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    now: datetime,
) -> RevocationStatus:
    crl = load_crl(der) if isinstance(der, bytes) else der
    if crl.issuer != issuer.subject:
        raise RevocationError("CRL issued by another CA")
    try:
        issuer_gost = gost_key(issuer)
    except GostError as exc:
        raise RevocationError(f"CRL issuer key: {exc}") from exc
    if issuer_gost is not None:
        valid = verify_signed(
            issuer_gost, crl.signature_algorithm_oid.dotted_string, crl.signature, crl.tbs_certlist_bytes
        )
    else:
        try:
            valid = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
        except (TypeError, UnsupportedAlgorithm) as exc:
            raise RevocationError("CRL signature algorithm unsupported") from exc
    if not valid:
        raise RevocationError("CRL signature is invalid")
    if crl.last_update_utc > now + CLOCK_SKEW:
        raise RevocationError("CRL thisUpdate is in the future")
    if crl.next_update_utc is None or crl.next_update_utc < now - CLOCK_SKEW:
        raise RevocationError("CRL is stale (nextUpdate passed)")
    revoked = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if revoked is None:
        return RevocationStatus(RevocationState.GOOD, "crl", now)
    return RevocationStatus(
        RevocationState.REVOKED,
        "crl",
        now,
        revoked_at=revoked.revocation_date_utc,
        detail="listed in the CRL",
    )


@dataclass
class _Cached:
    status: RevocationStatus
    until: datetime


class OcspCrlChecker:
    """RevocationChecker over injected transports, with a small in-memory answer cache."""

    def __init__(
        self,
        *,
        fetch_ocsp: Callable[[str, bytes], bytes],
        fetch_crl: Callable[[str], bytes],
        ocsp_url: str = "",
        crl_url: str = "",
        cache_seconds: int = 300,
        max_age: timedelta = timedelta(days=1),
        use_nonce: bool = True,
    ) -> None:
        self.fetch_ocsp = fetch_ocsp
        self.fetch_crl = fetch_crl
        self.ocsp_url = ocsp_url
        self.crl_url = crl_url
        self.cache_seconds = cache_seconds
        self.max_age = max_age
        self.use_nonce = use_nonce
        self._cache: dict[tuple[bytes, int], _Cached] = {}
        self._crls: dict[str, x509.CertificateRevocationList] = {}
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._crls.clear()

    def check(
        self, certificate: x509.Certificate, issuer: x509.Certificate, *, now: datetime
    ) -> RevocationStatus:
        key = (issuer.fingerprint(hashes.SHA256()), certificate.serial_number)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now <= cached.until:
            return replace(cached.status, from_cache=True)
        problems: list[str] = []
        status = self._ask_ocsp(certificate, issuer, now, problems)
        if status is None:
            status = self._ask_crl(certificate, issuer, now, problems)
        if status is None:
            return RevocationStatus(RevocationState.UNKNOWN, "", now, detail="; ".join(problems))
        if self.cache_seconds > 0:
            with self._lock:
                self._cache[key] = _Cached(status, now + timedelta(seconds=self.cache_seconds))
        return status

    def _ask_ocsp(
        self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime, problems: list[str]
    ) -> RevocationStatus | None:
        # The configured responder answers for client certificates; a CA certificate's status comes
        # from its own pointers (usually its issuer's CRL).
        urls = [self.ocsp_url] if self.ocsp_url and not is_ca(cert) else ocsp_urls(cert)
        if not urls:
            problems.append("no OCSP URL")
        for url in urls:
            nonce = os.urandom(16) if self.use_nonce else None
            try:
                request = build_ocsp_request(cert, issuer, nonce)
                answer = self.fetch_ocsp(url, request)
                return validate_ocsp_response(
                    answer, cert, issuer, nonce=nonce, now=now, max_age=self.max_age
                )
            except RevocationError as exc:
                problems.append(f"OCSP {url}: {exc}")
            except OSError as exc:  # transport errors (the HTTP adapter maps its own to OSError)
                problems.append(f"OCSP {url}: unreachable ({exc.__class__.__name__})")
        return None

    def _crl(self, url: str, now: datetime) -> x509.CertificateRevocationList:
        """The CRL at ``url``, downloaded again only after its nextUpdate (NCA's full CRLs are large)."""
        with self._lock:
            cached = self._crls.get(url)
        if cached is not None and cached.next_update_utc is not None and now < cached.next_update_utc:
            return cached
        crl = load_crl(self.fetch_crl(url))
        with self._lock:
            self._crls[url] = crl
        return crl

    def _ask_crl(
        self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime, problems: list[str]
    ) -> RevocationStatus | None:
        urls = [self.crl_url] if self.crl_url and not is_ca(cert) else crl_urls(cert)
        if not urls:
            problems.append("no CRL URL")
        for url in urls:
            try:
                return validate_crl(self._crl(url, now), cert, issuer, now=now)
            except RevocationError as exc:
                with self._lock:
                    self._crls.pop(url, None)  # never keep a CRL that failed its checks
                problems.append(f"CRL {url}: {exc}")
            except OSError as exc:
                problems.append(f"CRL {url}: unreachable ({exc.__class__.__name__})")
        return None
