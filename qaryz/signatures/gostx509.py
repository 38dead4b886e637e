"""GOST keys and signatures in X.509 certificates, CRLs and OCSP responses (pure: no Django import).

``cryptography`` reads GOST certificates (names, validity, extensions, TBS bytes) but cannot use their
keys: ``public_key()`` raises. This module reads the SubjectPublicKeyInfo itself (RFC 9215:
algorithm 1.2.643.7.1.1.1.1/.2, parameters ``SEQUENCE { publicKeyParamSet, digestParamSet OPTIONAL }``,
key ``OCTET STRING (x || y, little-endian)`` inside the BIT STRING) and verifies GOST-signed objects
with ``gost.py``. It also builds them for the GOST test PKI.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import core as acore
from asn1crypto import keys as akeys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from . import gost


def _public_key_spec(info: akeys.PublicKeyInfo) -> object:
    if info["algorithm"]["algorithm"].dotted in gost.KEY_SIZES:
        return (acore.OctetBitString, None)
    return _ASN1CRYPTO_PUBLIC_KEY_SPEC(info)


# asn1crypto knows no GOST key and raises KeyError when it has to parse one, which it does whenever it
# re-encodes a certificate (it also re-encodes any value whose definite length ends in byte 0x80,
# taking it for indefinite). Teach it that a GOST key is an opaque BIT STRING; DER is unchanged.
_ASN1CRYPTO_PUBLIC_KEY_SPEC = akeys.PublicKeyInfo._public_key_spec
akeys.PublicKeyInfo._spec_callbacks = {**akeys.PublicKeyInfo._spec_callbacks, "public_key": _public_key_spec}


class _GostKeyParams(acore.Sequence):
    _fields = [
        ("public_key_param_set", acore.ObjectIdentifier),
        ("digest_param_set", acore.ObjectIdentifier, {"optional": True}),
        ("encryption_param_set", acore.ObjectIdentifier, {"optional": True}),
    ]


class _AlgorithmIdentifier(acore.Sequence):
    _fields = [("algorithm", acore.ObjectIdentifier), ("parameters", acore.Any, {"optional": True})]


class _Spki(acore.Sequence):
    _fields = [("algorithm", _AlgorithmIdentifier), ("public_key", acore.OctetBitString)]


class _TbsPrefix(acore.Sequence):
    """Just enough of TBSCertificate to reach the SubjectPublicKeyInfo."""

    _fields = [
        ("version", acore.Any, {"explicit": 0, "optional": True}),
        ("serial_number", acore.Any),
        ("signature", acore.Any),
        ("issuer", acore.Any),
        ("validity", acore.Any),
        ("subject", acore.Any),
        ("subject_public_key_info", acore.Any),
    ]


@dataclass(frozen=True)
class GostPublicKey:
    key_oid: str
    paramset: str
    point: tuple[int, int]

    @property
    def curve(self) -> gost.Curve:
        return gost.curve_for(self.paramset)

    @property
    def digest_oid(self) -> str:
        return gost.OID_DIGEST_512 if self.key_oid == gost.OID_KEY_512 else gost.OID_DIGEST_256

    @property
    def signature_oid(self) -> str:
        return gost.OID_SIGN_512 if self.key_oid == gost.OID_KEY_512 else gost.OID_SIGN_256

    def verify(self, signature: bytes, data: bytes, digest_oid: str | None = None) -> bool:
        """GOST R 34.10-2012 over Streebog of ``data``; the digest must be the key's own size."""
        if digest_oid is not None and digest_oid != self.digest_oid:
            return False
        return gost.verify_digest(self.curve, self.point, gost.digest(self.digest_oid, data), signature)

    def spki_der(self) -> bytes:
        params = _GostKeyParams({"public_key_param_set": self.paramset})
        key = acore.OctetString(gost.encode_public_key(self.curve, self.point)).dump()
        return _Spki(
            {
                "algorithm": {"algorithm": self.key_oid, "parameters": acore.Any.load(params.dump())},
                "public_key": key,
            }
        ).dump()


@dataclass(frozen=True)
class GostPrivateKey:
    paramset: str
    d: int

    @property
    def curve(self) -> gost.Curve:
        return gost.curve_for(self.paramset)

    @classmethod
    def generate(cls, paramset: str = gost.PARAMSET_512_A) -> GostPrivateKey:
        return cls(paramset, gost.new_private_key(gost.curve_for(paramset)))

    def public_key(self) -> GostPublicKey:
        key_oid = gost.OID_KEY_512 if self.curve.size == 64 else gost.OID_KEY_256
        return GostPublicKey(key_oid, self.paramset, gost.public_key(self.curve, self.d))

    def sign(self, data: bytes) -> bytes:
        return gost.sign_digest(self.curve, self.d, gost.digest(self.public_key().digest_oid, data))


def spki_der(cert: x509.Certificate) -> bytes:
    tbs = _TbsPrefix.load(cert.tbs_certificate_bytes)
    return tbs["subject_public_key_info"].dump()


def _parse_spki(der: bytes) -> GostPublicKey | None:
    spki = _Spki.load(der)
    key_oid = spki["algorithm"]["algorithm"].dotted
    if key_oid not in gost.KEY_SIZES:
        return None
    try:
        params = _GostKeyParams.load(spki["algorithm"]["parameters"].dump())
        paramset = params["public_key_param_set"].dotted
        curve = gost.curve_for(paramset)
        if curve.size != gost.KEY_SIZES[key_oid]:
            raise gost.GostError(f"parameter set {paramset} does not fit key {key_oid}")
        raw = acore.OctetString.load(spki["public_key"].native).native
        point = gost.decode_public_key(curve, raw)
    except (ValueError, TypeError, KeyError) as exc:
        raise gost.GostError(f"unreadable GOST public key: {exc}") from exc
    return GostPublicKey(key_oid, paramset, point)


@lru_cache(maxsize=512)
def _gost_key_cached(spki: bytes) -> GostPublicKey | None:
    return _parse_spki(spki)


def gost_key(cert: x509.Certificate) -> GostPublicKey | None:
    """The certificate's GOST 2015 key, None for another algorithm; GostError when it is broken."""
    return _gost_key_cached(spki_der(cert))


def precompute_ca(cert: x509.Certificate) -> bool:
    """For a trusted CA certificate (root or configured intermediate) with a GOST key: parse and cache
    its key, and build the fixed-base tables of that key and of its curve's base point once, so that
    every certificate, CRL and OCSP answer it signs verifies without doublings. False for a key that
    is not GOST (or is broken: the chain check refuses it later with its reason)."""
    try:
        key = gost_key(cert)
    except gost.GostError:
        return False
    if key is None:
        return False
    gost.prepare(key.curve)
    gost.precompute(key.curve, key.point)
    return True


def is_gost_oid(oid: str) -> bool:
    return oid.startswith(("1.2.643.", "1.2.398.3.10."))


def spki_key_hash(spki: bytes, hash_name: str = "sha1") -> bytes:
    """Hash of the subjectPublicKey BIT STRING value of a SubjectPublicKeyInfo."""
    return hashlib.new(hash_name, _Spki.load(spki)["public_key"].native).digest()


def key_hash(cert: x509.Certificate, hash_name: str = "sha1") -> bytes:
    """SHA-1 of the subjectPublicKey BIT STRING value: OCSP's responder/issuer key hash (RFC 6960) and
    the usual subjectKeyIdentifier, for any algorithm."""
    return spki_key_hash(spki_der(cert), hash_name)


def gost_issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool | None:
    """Whether ``parent``'s key signed ``child`` when either is GOST; None when neither is (the caller
    then asks ``cryptography``)."""
    sig_oid = child.signature_algorithm_oid.dotted_string
    try:
        key = gost_key(parent)
    except gost.GostError:
        return False
    if key is None and not is_gost_oid(sig_oid):
        return None
    if key is None or child.issuer != parent.subject:
        return False
    return _certificate_signature_ok(key, sig_oid, child.signature, child.tbs_certificate_bytes)


@lru_cache(maxsize=2048)
def _certificate_signature_ok(key: GostPublicKey, signature_oid: str, signature: bytes, tbs: bytes) -> bool:
    # A certificate's signature never changes: NCA's intermediates (and a returning client's certificate)
    # are verified once per process instead of on every signature (a 512-bit check costs ~10 ms).
    return verify_signed(key, signature_oid, signature, tbs)


def verify_signed(key: GostPublicKey, signature_oid: str, signature: bytes, tbs: bytes) -> bool:
    """A GOST signature of a certificate, CRL or OCSP response: the algorithm must be the key's."""
    if gost.SIGNATURE_DIGESTS.get(signature_oid) != gost.DIGEST_NAMES[key.digest_oid]:
        return False
    return key.verify(signature, tbs)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)
