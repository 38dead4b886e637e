"""CMS / PKCS#7 SignedData: decoding what NCALayer returns, and building signatures (pure).

Parsing uses asn1crypto (structure) and cryptography (keys, signatures). Building is used by
the test PKI, the demo test signer and the tests; production signatures come from NCALayer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import cms as acms
from asn1crypto import core as acore
from asn1crypto import parser as aparser
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import gost
from .gostx509 import GostPrivateKey

# Digests accepted for signatures (SHA-1 and older are refused as unsupported).
DIGESTS: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# GOST 2015 (GOST R 34.10-2012 on TC26 curves, Streebog): digest OID -> name, and the SignerInfo
# signature algorithms accepted with it (the signwithdigest OID or, as some signers write, the key OID).
GOST_DIGESTS = gost.DIGEST_NAMES
GOST_SIGNATURES = gost.SIGNATURE_DIGESTS
GOST_2004 = {gost.KZ_GOST_2004_SIGN, gost.KZ_GOST_2004_KEY, gost.KZ_GOST_34311_95}
# Kazakh GOST (1.2.398.3.10...) and Russian GOST (1.2.643...) arcs: recognised to say so clearly.
GOST_ARCS = ("1.2.398.3.10.", "1.2.643.")


def _parse_tlv(data: bytes, pointer: int) -> tuple[tuple[int, int, int, bytes, bytes, bytes], int]:
    length = aparser.peek(data[pointer:])
    return aparser.parse(data[pointer : pointer + length]), pointer + length


class CmsFormatError(ValueError):
    """The input is not a CMS SignedData we can read."""


class UnsupportedAlgorithmError(ValueError):
    """An algorithm this verifier does not implement (GOST, SHA-1, DSA, ...)."""


def decode_input(data: bytes | str) -> bytes:
    """DER bytes from DER, base64 (NCALayer's output) or PEM text."""
    if isinstance(data, str):
        data = data.encode("ascii", errors="replace")
    if data[:1] == b"\x30":
        return bytes(data)  # DER: never strip, its last bytes may look like whitespace
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        lines = [ln for ln in stripped.splitlines() if not ln.startswith(b"-----")]
        stripped = b"".join(lines)
    try:
        der = base64.b64decode(b"".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CmsFormatError("not DER, base64 or PEM") from exc
    if der[:1] != b"\x30":
        raise CmsFormatError("decoded data is not a DER SEQUENCE")
    return der


def algorithm_label(oid: str, name: str) -> str:
    if oid in GOST_2004:  # its curve parameters and GOST 34.311-95 are not public: refused by name
        return f"GOST 34.310-2004 / GOST 34.311-95 ({oid})"
    if oid.startswith(GOST_ARCS):
        return f"GOST ({oid})"
    return name if name != oid else oid


@dataclass
class ParsedSignature:
    """One SignerInfo of a SignedData, with what is needed to verify it."""

    content_type: str
    encapsulated_content: bytes | None  # None when detached
    certificates: list[x509.Certificate]
    signer_certificate: x509.Certificate | None
    digest_algorithm: str  # "sha256", ... or a label for unsupported ones
    signature_algorithm: str
    signature: bytes
    signed_attrs_der: bytes | None  # re-tagged as SET OF, i.e. the bytes actually signed
    message_digest: bytes | None
    signed_content_type: str | None
    signing_time: datetime | None
    timestamp_token: bytes | None = None
    unsupported: str = ""  # why the algorithms cannot be verified, if so
    signature_algorithm_oid: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def _load_certificates(signed_data: acms.SignedData) -> list[x509.Certificate]:
    """The X.509 certificates of the set, from their exact bytes: asn1crypto re-encodes an object whose
    definite length happens to end in 0x80 (it takes it for indefinite), which fails for GOST keys."""
    certs: list[x509.Certificate] = []
    field = signed_data["certificates"]
    if isinstance(field, acore.Void) or not field.contents:
        return certs
    data = field.contents
    pointer = 0
    while pointer < len(data):
        (class_, _method, tag, header, content, trailer), pointer = _parse_tlv(data, pointer)
        if class_ == 0 and tag == 16:  # a plain Certificate; other choices (attribute certs) are skipped
            certs.append(x509.load_der_x509_certificate(header + content + trailer))
    return certs


def _find_signer(sid: acms.SignerIdentifier, certs: list[x509.Certificate]) -> x509.Certificate | None:
    if sid.name == "issuer_and_serial_number":
        issuer_der = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        for cert in certs:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer_der:
                return cert
        # Name encodings may differ (PrintableString vs UTF8String): compare normalised.
        issuer = ax509.Name.load(issuer_der)
        for cert in certs:
            if cert.serial_number == serial and ax509.Name.load(cert.issuer.public_bytes()) == issuer:
                return cert
        return None
    key_id = sid.chosen.native
    for cert in certs:
        try:
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            continue
        if ski == key_id:
            return cert
    return None


def parse_signed_data(der: bytes) -> ParsedSignature:
    """Read a CMS ContentInfo holding SignedData with exactly one signer."""
    try:
        info = acms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise CmsFormatError(f"content type {info['content_type'].native!r} is not signed data")
        signed_data = info["content"]
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise CmsFormatError(f"{len(signer_infos)} signers; exactly one is expected")
        signer_info = signer_infos[0]
        encap = signed_data["encap_content_info"]
        content_type = encap["content_type"].dotted
        raw_content = encap["content"]
        encapsulated = None if isinstance(raw_content, acore.Void) else bytes(raw_content)
        certs = _load_certificates(signed_data)
        signer_cert = _find_signer(signer_info["sid"], certs)

        digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
        digest_name = signer_info["digest_algorithm"]["algorithm"].native
        sig_oid = signer_info["signature_algorithm"]["algorithm"].dotted
        sig_name = signer_info["signature_algorithm"]["algorithm"].native
        unsupported = ""
        digest_name = GOST_DIGESTS.get(digest_oid, digest_name)
        if digest_name not in DIGESTS and digest_name not in gost.DIGEST_NAMES.values():
            unsupported = f"digest {algorithm_label(digest_oid, digest_name)}"
        elif sig_oid in GOST_SIGNATURES:
            if GOST_SIGNATURES[sig_oid] != digest_name:
                unsupported = f"signature {algorithm_label(sig_oid, sig_name)} with digest {digest_name}"
        elif sig_name not in _SIGNATURE_ALGORITHMS or digest_name not in DIGESTS:
            unsupported = f"signature {algorithm_label(sig_oid, sig_name)}"

        signed_attrs = signer_info["signed_attrs"]
        attrs_der = None
        message_digest = None
        signed_content_type = None
        signing_time = None
        if signed_attrs.native is not None and len(signed_attrs):
            raw = signed_attrs.dump()
            attrs_der = b"\x31" + raw[1:]
            for attr in signed_attrs:
                kind = attr["type"].native
                values = attr["values"]
                if len(values) != 1:
                    raise CmsFormatError(f"signed attribute {kind} must have exactly one value")
                if kind == "message_digest":
                    message_digest = values[0].native
                elif kind == "content_type":
                    signed_content_type = values[0].dotted
                elif kind == "signing_time":
                    signing_time = values[0].native
                    if signing_time.tzinfo is None:
                        signing_time = signing_time.replace(tzinfo=UTC)
        token = None
        unsigned = signer_info["unsigned_attrs"]
        if not isinstance(unsigned, acore.Void):  # never .native: it would parse GOST keys
            for attr in unsigned:
                if attr["type"].native == "signature_time_stamp_token":
                    # its exact bytes (re-encoding may fail on GOST keys, see _load_certificates)
                    (_c, _m, _t, header, content, trailer), _end = _parse_tlv(attr["values"].contents, 0)
                    token = header + content + trailer
        return ParsedSignature(
            content_type=content_type,
            encapsulated_content=encapsulated,
            certificates=certs,
            signer_certificate=signer_cert,
            digest_algorithm=digest_name
            if digest_name in DIGESTS or digest_name in gost.DIGEST_NAMES.values()
            else algorithm_label(digest_oid, digest_name),
            signature_algorithm=algorithm_label(sig_oid, sig_name),
            signature_algorithm_oid=sig_oid,
            signature=signer_info["signature"].native,
            signed_attrs_der=attrs_der,
            message_digest=message_digest,
            signed_content_type=signed_content_type,
            signing_time=signing_time,
            timestamp_token=token,
            unsupported=unsupported,
        )
    except CmsFormatError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CmsFormatError(f"malformed CMS: {exc.__class__.__name__}") from exc


_SIGNATURE_ALGORITHMS = {
    "rsassa_pkcs1v15",
    "sha256_rsa",
    "sha384_rsa",
    "sha512_rsa",
    "ecdsa",
    "sha256_ecdsa",
    "sha384_ecdsa",
    "sha512_ecdsa",
}


def digest(name: str, data: bytes) -> bytes:
    if name.startswith("streebog"):
        return gost.digest(name, data)
    return hashlib.new(name, data).digest()


def verify_signature_value(public_key: object, signature: bytes, data: bytes, digest_name: str) -> None:
    """Raise InvalidSignature or UnsupportedAlgorithmError; return on success."""
    algorithm = DIGESTS[digest_name]()
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise UnsupportedAlgorithmError(f"public key type {type(public_key).__name__}")


def _raw(cert: x509.Certificate) -> acore.Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return acore.Any.load(cert.public_bytes(Encoding.DER))


def _to_asn1_cert(cert: x509.Certificate) -> ax509.Certificate:
    from cryptography.hazmat.primitives.serialization import Encoding

    return ax509.Certificate.load(cert.public_bytes(Encoding.DER))


def sign_cms(
    content: bytes,
    certificate: x509.Certificate,
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | GostPrivateKey,
    *,
    extra_certificates: Iterable[x509.Certificate] = (),
    detached: bool = True,
    signing_time: datetime | None = None,
    content_type: str = "data",
    digest_name: str = "sha256",
    with_signing_time: bool = True,
    timestamp_token: bytes | None = None,
) -> bytes:
    """A CAdES-BES-like CMS SignedData, shaped like NCALayer's createCAdESFromBase64 output.

    With a GOST key the digest is the key's Streebog and ``digest_name`` is ignored."""
    gost_key = private_key.public_key() if isinstance(private_key, GostPrivateKey) else None
    digest_id: str = digest_name
    if gost_key is not None:
        digest_id = gost_key.digest_oid
        digest_name = GOST_DIGESTS[digest_id]
    message_digest = digest(digest_name, content)
    attrs = [
        acms.CMSAttribute({"type": "content_type", "values": [content_type]}),
    ]
    if with_signing_time:
        when = (signing_time or datetime.now(UTC)).replace(microsecond=0)
        attrs.append(acms.CMSAttribute({"type": "signing_time", "values": [acms.Time({"utc_time": when})]}))
    attrs.append(acms.CMSAttribute({"type": "message_digest", "values": [message_digest]}))
    acert = _to_asn1_cert(certificate)
    if gost_key is not None:
        sig_alg = gost_key.signature_oid
    elif isinstance(private_key, rsa.RSAPrivateKey):
        sig_alg = f"{digest_name}_rsa"
    else:
        sig_alg = f"{digest_name}_ecdsa"
    signer_info = acms.SignerInfo(
        {
            "version": "v1",
            "sid": acms.SignerIdentifier(
                {
                    "issuer_and_serial_number": acms.IssuerAndSerialNumber(
                        {"issuer": acert.issuer, "serial_number": acert.serial_number}
                    )
                }
            ),
            "digest_algorithm": {"algorithm": digest_id},
            "signed_attrs": acms.CMSAttributes(attrs),
            "signature_algorithm": {"algorithm": sig_alg},
            "signature": b"",
        }
    )
    to_sign = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    if isinstance(private_key, GostPrivateKey):
        signature = private_key.sign(to_sign)
    elif isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(to_sign, padding.PKCS1v15(), DIGESTS[digest_name]())
    else:
        signature = private_key.sign(to_sign, ec.ECDSA(DIGESTS[digest_name]()))
    signer_info["signature"] = signature
    if timestamp_token is not None:
        signer_info["unsigned_attrs"] = acms.CMSAttributes(
            [
                acms.CMSAttribute(
                    {"type": "signature_time_stamp_token", "values": [acms.ContentInfo.load(timestamp_token)]}
                )
            ]
        )
    encap: dict[str, object] = {"content_type": content_type}
    if not detached:
        if content_type == "data":
            encap["content"] = content
        else:
            encap["content"] = acore.ParsableOctetString(content)
    signed_data = acms.SignedData(
        {
            "version": "v1" if content_type == "data" else "v3",
            "digest_algorithms": [{"algorithm": digest_id}],
            "encap_content_info": encap,
            # as opaque values: asn1crypto may re-encode a loaded certificate and cannot parse GOST keys
            "certificates": acms.CertificateSet([_raw(certificate), *(_raw(c) for c in extra_certificates)]),
            "signer_infos": [signer_info],
        }
    )
    return acms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def signature_value(der: bytes) -> bytes:
    """The signer's signature value (what a timestamp token's message imprint covers)."""
    return parse_signed_data(der).signature
