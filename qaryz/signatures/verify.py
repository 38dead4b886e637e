"""Server-side verification of an EDS (CMS/PKCS#7) signature (pure: no Django import).

One function, ``verify_cms``, checks in order: the CMS can be read and uses an algorithm we
implement (RSA or ECDSA with SHA-2, GOST 2015 with Streebog via ``gostx509``; GOST 34.310-2004 and
anything else is reported as unsupported, never accepted); the signed
content is exactly the expected bytes; the signature value; the signing time (a verified RFC 3161
timestamp token, else the signingTime attribute, else now) lies in the allowed window; the chain
up to a configured trusted root; every certificate is valid at the signing time; the signer's key
usage allows signing; the signer's IIN/BIN match; the certificate is not revoked (OCSP, CRL
fallback, fail closed). The result carries a reason code for every failure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from asn1crypto import cms as acms
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from . import gost
from .cms import (
    GOST_SIGNATURES,
    CmsFormatError,
    ParsedSignature,
    UnsupportedAlgorithmError,
    decode_input,
    digest,
    parse_signed_data,
    verify_signature_value,
)
from .gost import GostError
from .gostx509 import gost_issued_by, gost_key, precompute_ca
from .ports import RevocationChecker, RevocationState, RevocationStatus
from .revocation import publishes_revocation
from .subject import SubjectInfo, parse_subject

MAX_CHAIN = 6


class Reason(StrEnum):
    BAD_SIGNATURE = "bad_signature"
    CONTENT_MISMATCH = "content_mismatch"
    UNTRUSTED_CHAIN = "untrusted_chain"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    REVOCATION_UNKNOWN = "revocation_unknown"
    IIN_MISMATCH = "iin_mismatch"
    BIN_MISMATCH = "bin_mismatch"
    WRONG_KEY_USAGE = "wrong_key_usage"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    REPLAYED = "replayed"
    EXPIRED_REQUEST = "expired_request"


class TrustStore:
    """Trusted roots and known intermediates, indexed by subject."""

    def __init__(
        self, roots: Iterable[x509.Certificate], intermediates: Iterable[x509.Certificate] = ()
    ) -> None:
        self.roots = list(roots)
        self.intermediates = list(intermediates)
        self._root_fingerprints = {c.fingerprint(hashes.SHA256()) for c in self.roots}
        for cert in (*self.roots, *self.intermediates):
            precompute_ca(cert)  # GOST CA keys: tables built at load, not in the first request
        # configured intermediates whose signature by a configured CA was checked here, once: a chain
        # through them does not check that signature again (it never changes)
        self._verified_links: set[tuple[bytes, bytes]] = set()
        cas = [*self.roots, *self.intermediates]
        for child in self.intermediates:
            for parent in cas:
                if parent is not child and parent.subject == child.issuer and _is_ca(parent):
                    with contextlib.suppress(VerificationFailure):
                        if _issued_by(child, parent):
                            self._verified_links.add(_link(child, parent))

    def known_link(self, child: x509.Certificate, parent: x509.Certificate) -> bool:
        """Whether ``parent`` signing ``child`` was verified when the store was loaded."""
        return _link(child, parent) in self._verified_links

    def is_root(self, cert: x509.Certificate) -> bool:
        return cert.fingerprint(hashes.SHA256()) in self._root_fingerprints

    @staticmethod
    def load_pem_dir(directory: Path | str | None) -> list[x509.Certificate]:
        if not directory:
            return []
        certs: list[x509.Certificate] = []
        for path in sorted(Path(directory).glob("*")):
            if path.suffix.lower() not in {".pem", ".crt", ".cer"} or not path.is_file():
                continue
            data = path.read_bytes()
            if b"-----BEGIN" in data:
                certs.extend(x509.load_pem_x509_certificates(data))
            else:
                certs.append(x509.load_der_x509_certificate(data))
        return certs


def _link(child: x509.Certificate, parent: x509.Certificate) -> tuple[bytes, bytes]:
    return child.fingerprint(hashes.SHA256()), parent.fingerprint(hashes.SHA256())


@dataclass
class VerificationResult:
    ok: bool
    reason: str = ""
    detail: str = ""
    signer: SubjectInfo | None = None
    certificate: x509.Certificate | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    signing_time: datetime | None = None
    signing_time_source: str = ""  # "timestamp", "signing_time" or "now"
    digest_algorithm: str = ""
    signature_algorithm: str = ""
    revocation: RevocationStatus | None = None
    attached: bool = False

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary kept with the signature."""
        cert = self.certificate
        return {
            "ok": self.ok,
            "reason": self.reason,
            "detail": self.detail,
            "signer": None
            if self.signer is None
            else {
                "iin": self.signer.iin,
                "bin": self.signer.bin,
                "common_name": self.signer.common_name,
                "surname": self.signer.surname,
                "given_name": self.signer.given_name,
                "organisation": self.signer.organisation,
                "country": self.signer.country,
            },
            "certificate": None
            if cert is None
            else {
                "serial": f"{cert.serial_number:x}",
                "sha256": cert.fingerprint(hashes.SHA256()).hex(),
                "subject": cert.subject.rfc4514_string(),
                "issuer": cert.issuer.rfc4514_string(),
                "not_before": cert.not_valid_before_utc.isoformat(),
                "not_after": cert.not_valid_after_utc.isoformat(),
            },
            "chain": [c.subject.rfc4514_string() for c in self.chain],
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "signing_time_source": self.signing_time_source,
            "digest_algorithm": self.digest_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "attached": self.attached,
            "revocation": None
            if self.revocation is None
            else {
                "state": str(self.revocation.state),
                "source": self.revocation.source,
                "checked_at": self.revocation.checked_at.isoformat(),
                "revoked_at": self.revocation.revoked_at.isoformat() if self.revocation.revoked_at else None,
                "detail": self.revocation.detail,
                "from_cache": self.revocation.from_cache,
            },
        }


class VerificationFailure(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    gost_answer = gost_issued_by(child, parent)
    if gost_answer is not None:
        return gost_answer
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, InvalidSignature):
        return False
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise VerificationFailure(
            Reason.UNSUPPORTED_ALGORITHM, f"certificate signature algorithm: {exc}"
        ) from exc
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def build_chain(
    leaf: x509.Certificate, supplied: Iterable[x509.Certificate], trust: TrustStore
) -> list[x509.Certificate]:
    """leaf -> ... -> trusted root, using certificates from the CMS and the local store."""
    pool = [c for c in [*supplied, *trust.intermediates] if c != leaf]
    chain = [leaf]
    current = leaf

    def signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
        return trust.known_link(child, parent) or _issued_by(child, parent)

    for _ in range(MAX_CHAIN):
        for root in trust.roots:
            if root.subject == current.issuer and _is_ca(root) and signed_by(current, root):
                if current != root:
                    chain.append(root)
                return chain
        if current.subject == current.issuer:
            raise VerificationFailure(
                Reason.UNTRUSTED_CHAIN,
                f"self-signed certificate not trusted: {current.subject.rfc4514_string()}",
            )
        parent = next(
            (
                c
                for c in pool
                if c.subject == current.issuer and c not in chain and _is_ca(c) and signed_by(current, c)
            ),
            None,
        )
        if parent is None:
            raise VerificationFailure(
                Reason.UNTRUSTED_CHAIN, f"no trusted issuer for {current.subject.rfc4514_string()}"
            )
        chain.append(parent)
        current = parent
    raise VerificationFailure(Reason.UNTRUSTED_CHAIN, "certificate chain too long")


def _check_validity(chain: list[x509.Certificate], at: datetime) -> None:
    for cert in chain:
        if at < cert.not_valid_before_utc:
            raise VerificationFailure(
                Reason.NOT_YET_VALID,
                f"{cert.subject.rfc4514_string()} valid from {cert.not_valid_before_utc.isoformat()}",
            )
        if at > cert.not_valid_after_utc:
            raise VerificationFailure(
                Reason.EXPIRED,
                f"{cert.subject.rfc4514_string()} expired {cert.not_valid_after_utc.isoformat()}",
            )


def _check_key_usage(cert: x509.Certificate) -> None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure(Reason.WRONG_KEY_USAGE, "certificate has no key usage") from exc
    if not (usage.digital_signature or usage.content_commitment):
        raise VerificationFailure(
            Reason.WRONG_KEY_USAGE, "key usage allows neither digitalSignature nor nonRepudiation"
        )


def _verify_parsed(parsed: ParsedSignature, content: bytes) -> None:
    """Signature value and messageDigest of ``parsed`` over ``content``."""
    if parsed.unsupported:
        raise VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, f"unsupported {parsed.unsupported}")
    cert = parsed.signer_certificate
    if cert is None:
        raise VerificationFailure(Reason.BAD_SIGNATURE, "signer certificate not included in the CMS")
    try:
        gost_public = gost_key(cert)
    except GostError as exc:
        raise VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, f"signer key: {exc}") from exc
    public_key: object = gost_public
    if gost_public is None:
        if parsed.signature_algorithm_oid in GOST_SIGNATURES:
            raise VerificationFailure(
                Reason.BAD_SIGNATURE, "GOST signature from a certificate without a GOST key"
            )
        try:
            public_key = cert.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, f"signer key algorithm: {exc}") from exc
    elif GOST_SIGNATURES.get(parsed.signature_algorithm_oid) != gost.DIGEST_NAMES[gost_public.digest_oid]:
        raise VerificationFailure(
            Reason.BAD_SIGNATURE,
            f"signature algorithm {parsed.signature_algorithm} does not fit the GOST key",
        )
    if parsed.signed_attrs_der is None:
        signed_bytes = content
    else:
        if parsed.message_digest is None or parsed.signed_content_type is None:
            raise VerificationFailure(
                Reason.BAD_SIGNATURE, "signed attributes lack messageDigest or contentType"
            )
        if parsed.signed_content_type != parsed.content_type:
            raise VerificationFailure(
                Reason.BAD_SIGNATURE, "contentType attribute differs from the content's type"
            )
        if parsed.message_digest != digest(parsed.digest_algorithm, content):
            raise VerificationFailure(
                Reason.CONTENT_MISMATCH, "messageDigest does not match the expected content"
            )
        signed_bytes = parsed.signed_attrs_der
    try:
        if gost_public is not None:
            if not gost_public.verify(parsed.signature, signed_bytes):
                raise InvalidSignature
        else:
            verify_signature_value(public_key, parsed.signature, signed_bytes, parsed.digest_algorithm)
    except InvalidSignature as exc:
        raise VerificationFailure(Reason.BAD_SIGNATURE, "signature value does not verify") from exc
    except UnsupportedAlgorithmError as exc:
        raise VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, str(exc)) from exc


def _timestamp_time(
    token_der: bytes, signature: bytes, trust: TrustStore
) -> tuple[datetime, list[x509.Certificate]]:
    """genTime of a verified RFC 3161 token whose imprint covers ``signature``, and the TSA's chain."""
    try:
        parsed = parse_signed_data(token_der)
    except CmsFormatError as exc:
        raise VerificationFailure(Reason.BAD_SIGNATURE, f"timestamp token: {exc}") from exc
    if parsed.content_type != "1.2.840.113549.1.9.16.1.4" or parsed.encapsulated_content is None:
        raise VerificationFailure(Reason.BAD_SIGNATURE, "timestamp token does not hold TSTInfo")
    try:
        _verify_parsed(parsed, parsed.encapsulated_content)
    except VerificationFailure as exc:
        raise VerificationFailure(exc.reason, f"timestamp token: {exc.detail}") from exc
    info = acms.ContentInfo.load(token_der)["content"]["encap_content_info"]["content"].parsed
    imprint = info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    # a GOST TSA stamps with Streebog (TC26 or NCA's own digest OID)
    algorithm = gost.DIGEST_NAMES.get(imprint["hash_algorithm"]["algorithm"].dotted, algorithm)
    if algorithm not in ("sha256", "sha384", "sha512", "streebog256", "streebog512"):
        raise VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, f"timestamp imprint {algorithm}")
    if imprint["hashed_message"].native != digest(algorithm, signature):
        raise VerificationFailure(Reason.BAD_SIGNATURE, "timestamp token covers another signature")
    gen_time: datetime = info["gen_time"].native
    tsa = parsed.signer_certificate
    assert tsa is not None  # noqa: S101 - _verify_parsed ensured it
    try:
        eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise VerificationFailure(Reason.UNTRUSTED_CHAIN, "TSA certificate lacks id-kp-timeStamping") from exc
    if ExtendedKeyUsageOID.TIME_STAMPING not in eku:
        raise VerificationFailure(Reason.UNTRUSTED_CHAIN, "TSA certificate lacks id-kp-timeStamping")
    try:
        chain = build_chain(tsa, parsed.certificates, trust)
        _check_validity(chain, gen_time)
    except VerificationFailure as exc:
        raise VerificationFailure(exc.reason, f"timestamp authority: {exc.detail}") from exc
    return gen_time, chain


def _require_good(
    cert: x509.Certificate, issuer: x509.Certificate, revocation: RevocationChecker, now: datetime, what: str
) -> None:
    status = revocation.check(cert, issuer, now=now)
    if status.state == RevocationState.REVOKED:
        raise VerificationFailure(Reason.REVOKED, f"{what} revoked ({status.source}) at {status.revoked_at}")
    if status.state != RevocationState.GOOD:
        raise VerificationFailure(
            Reason.REVOCATION_UNKNOWN, f"{what}: {status.detail or 'no revocation answer'}"
        )


def _check_issuing_cas(chain: list[x509.Certificate], revocation: RevocationChecker, now: datetime) -> None:
    """Revocation of every intermediate CA that publishes it (its issuer's CRL or an OCSP responder);
    a CA certificate that names no source is taken as not revocable, like a root."""
    for ca, parent in zip(chain[1:-1], chain[2:], strict=False):
        if publishes_revocation(ca):
            _require_good(ca, parent, revocation, now, f"issuing CA {ca.subject.rfc4514_string()}")


def _check_timestamp_authority(
    chain: list[x509.Certificate], revocation: RevocationChecker, now: datetime
) -> None:
    """A timestamp from a revoked (or unanswerable) TSA proves no signing time: fail closed."""
    if len(chain) > 1 and publishes_revocation(chain[0]):
        _require_good(chain[0], chain[1], revocation, now, "timestamp authority")
    _check_issuing_cas(chain, revocation, now)


def check_signer(
    result: VerificationResult,
    leaf: x509.Certificate,
    supplied: Iterable[x509.Certificate],
    *,
    trust: TrustStore,
    revocation: RevocationChecker | None,
    now: datetime,
    expected_iin: str | None,
    expected_bin: str | None,
    tsa_chain: list[x509.Certificate] | None = None,
) -> None:
    """What every signature format shares once its value verified: chain to a trusted root, validity at
    ``result.signing_time``, key usage, IIN/BIN, revocation of the signer, its CAs and a TSA. Raises
    ``VerificationFailure`` (caught by the format's verify function)."""
    at = result.signing_time or now
    result.chain = build_chain(leaf, supplied, trust)
    _check_validity(result.chain, at)
    _check_key_usage(leaf)

    signer = result.signer or parse_subject(leaf.subject)
    if expected_iin is not None and signer.iin != expected_iin:
        raise VerificationFailure(
            Reason.IIN_MISMATCH, f"certificate IIN {signer.iin or '(none)'} is not the client's"
        )
    if expected_bin is not None and signer.bin != expected_bin:
        raise VerificationFailure(
            Reason.BIN_MISMATCH, f"certificate BIN {signer.bin or '(none)'} is not the client's"
        )

    if revocation is not None:
        issuer = result.chain[1] if len(result.chain) > 1 else leaf
        status = revocation.check(leaf, issuer, now=now)
        result.revocation = status
        if status.state == RevocationState.REVOKED:
            raise VerificationFailure(
                Reason.REVOKED, f"certificate revoked ({status.source}) at {status.revoked_at}"
            )
        if status.state != RevocationState.GOOD:
            raise VerificationFailure(Reason.REVOCATION_UNKNOWN, status.detail or "no revocation answer")
        _check_issuing_cas(result.chain, revocation, now)
        if tsa_chain:
            _check_timestamp_authority(tsa_chain, revocation, now)


def verify_cms(
    cms_data: bytes | str,
    expected_content: bytes,
    *,
    trust: TrustStore,
    revocation: RevocationChecker | None,
    now: datetime | None = None,
    expected_iin: str | None = None,
    expected_bin: str | None = None,
    window: tuple[datetime, datetime] | None = None,
    clock_skew: timedelta = timedelta(minutes=5),
) -> VerificationResult:
    """Verify ``cms_data`` (DER, base64 or PEM) as a signature of exactly ``expected_content``.

    ``window`` bounds the signing time (the signing request's lifetime) so that a claimed
    signingTime cannot be back-dated into an expired certificate's validity. ``revocation``
    None skips the revocation check (only for tooling; the services always pass one).
    """
    now = now or datetime.now(UTC)
    result = VerificationResult(ok=False)
    try:
        try:
            parsed = parse_signed_data(decode_input(cms_data))
        except CmsFormatError as exc:
            raise VerificationFailure(Reason.BAD_SIGNATURE, str(exc)) from exc
        result.digest_algorithm = parsed.digest_algorithm
        result.signature_algorithm = parsed.signature_algorithm
        result.attached = parsed.encapsulated_content is not None
        result.certificate = parsed.signer_certificate
        if parsed.signer_certificate is not None:
            result.signer = parse_subject(parsed.signer_certificate.subject)
        if parsed.content_type != "1.2.840.113549.1.7.1":
            raise VerificationFailure(
                Reason.BAD_SIGNATURE, f"signed content type {parsed.content_type} is not data"
            )
        if parsed.encapsulated_content is not None and parsed.encapsulated_content != expected_content:
            raise VerificationFailure(
                Reason.CONTENT_MISMATCH, "attached content differs from the document presented"
            )
        _verify_parsed(parsed, expected_content)
        leaf = parsed.signer_certificate
        assert leaf is not None  # noqa: S101 - _verify_parsed ensured it

        tsa_chain: list[x509.Certificate] = []
        if parsed.timestamp_token is not None:
            result.signing_time, tsa_chain = _timestamp_time(parsed.timestamp_token, parsed.signature, trust)
            result.signing_time_source = "timestamp"
        elif parsed.signing_time is not None:
            result.signing_time, result.signing_time_source = parsed.signing_time, "signing_time"
        else:
            result.signing_time, result.signing_time_source = now, "now"
        at = result.signing_time
        if at > now + clock_skew:
            raise VerificationFailure(Reason.BAD_SIGNATURE, f"signing time {at.isoformat()} is in the future")
        if window is not None and not (window[0] - clock_skew <= at <= window[1] + clock_skew):
            raise VerificationFailure(
                Reason.EXPIRED_REQUEST, f"signing time {at.isoformat()} is outside the request's lifetime"
            )

        check_signer(
            result,
            leaf,
            parsed.certificates,
            trust=trust,
            revocation=revocation,
            now=now,
            expected_iin=expected_iin,
            expected_bin=expected_bin,
            tsa_chain=tsa_chain,
        )
    except VerificationFailure as failure:
        result.reason = str(failure.reason)
        result.detail = failure.detail
        return result
    result.ok = True
    return result
