"""DPoP-style proofs of possession of a device key (R-MOB-1), pure (no Django import).

A proof is a compact JWS ``b64url(header).b64url(payload).b64url(signature)`` as in RFC 9449:

* header: ``{"typ": "dpop+jwt", "alg": "ES256" | "EdDSA", "jwk": <public key>}``
* payload: ``{"jti": <unique id>, "htm": <HTTP method>, "htu": <URL without query>,
  "iat": <unix seconds>, "ath": b64url(SHA-256(access token))}`` (``ath`` absent only when no
  token is presented yet: the sign-in that binds the key, and the refresh call)

The key is identified by its RFC 7638 thumbprint (``jkt``). Only ECDSA P-256 (ES256, the
signature as raw r‖s) and Ed25519 (EdDSA) keys are accepted: what Android Keystore and the
iOS Secure Enclave / CryptoKit hold.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_PROOF_LENGTH = 4096
ALGORITHMS = ("ES256", "EdDSA")


class ProofError(Exception):
    """The proof is malformed, signed wrongly or does not match the request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Proof:
    jwk: dict
    jkt: str
    alg: str
    jti: str
    htm: str
    htu: str
    iat: int
    ath: str | None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c not in _B64URL for c in text):
        raise ProofError("encoding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def token_hash(access_token: str) -> str:
    """The ``ath`` value of a token: base64url of its SHA-256."""
    return b64url(hashlib.sha256(access_token.encode()).digest())


def thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint of an EC P-256 or Ed25519 public JWK."""
    kty = jwk.get("kty")
    if kty == "EC" and jwk.get("crv") == "P-256":
        members = {"crv": "P-256", "kty": "EC", "x": jwk.get("x"), "y": jwk.get("y")}
    elif kty == "OKP" and jwk.get("crv") == "Ed25519":
        members = {"crv": "Ed25519", "kty": "OKP", "x": jwk.get("x")}
    else:
        raise ProofError("key_type")
    if not all(isinstance(v, str) and v for v in members.values()):
        raise ProofError("key_type")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_key(jwk: dict) -> ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey:
    try:
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
            if len(x) != 32 or len(y) != 32:
                raise ProofError("key_type")
            return ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            ).public_key()
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    except (KeyError, ValueError, TypeError):
        raise ProofError("key_type") from None
    raise ProofError("key_type")


def _check_signature(alg: str, jwk: dict, signing_input: bytes, signature: bytes) -> None:
    key = public_key(jwk)
    try:
        if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) != 64:
                raise ProofError("signature")
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            return
        if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signing_input)
            return
    except InvalidSignature:
        raise ProofError("signature") from None
    raise ProofError("algorithm")


def parse(proof: str) -> Proof:
    """Decode a proof and check its signature with the key it carries (not yet the request)."""
    if not proof or len(proof) > MAX_PROOF_LENGTH or proof.count(".") != 2:
        raise ProofError("malformed")
    head_b64, body_b64, sig_b64 = proof.split(".")
    try:
        header = json.loads(b64url_decode(head_b64))
        payload = json.loads(b64url_decode(body_b64))
    except (ValueError, UnicodeDecodeError):
        raise ProofError("malformed") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ProofError("malformed")
    if header.get("typ") != "dpop+jwt":
        raise ProofError("type")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise ProofError("algorithm")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or "d" in jwk:  # a private key in a header is refused outright
        raise ProofError("key_type")
    jkt = thumbprint(jwk)
    _check_signature(alg, jwk, f"{head_b64}.{body_b64}".encode("ascii"), b64url_decode(sig_b64))
    jti, htm, htu, iat, ath = (payload.get(k) for k in ("jti", "htm", "htu", "iat", "ath"))
    if not isinstance(jti, str) or not 8 <= len(jti) <= 100:
        raise ProofError("jti")
    if not isinstance(htm, str) or not isinstance(htu, str):
        raise ProofError("malformed")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise ProofError("iat")
    if ath is not None and not isinstance(ath, str):
        raise ProofError("ath")
    return Proof(jwk=jwk, jkt=jkt, alg=alg, jti=jti, htm=htm, htu=htu, iat=iat, ath=ath)


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, query and fragment dropped (RFC 9449 §4.3)."""
    url = url.split("#", 1)[0].split("?", 1)[0]
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def check_request(
    proof: Proof, *, method: str, url: str, now: int, skew: int, access_token: str | None
) -> None:
    """The proof is for this request: method, URL, time within ``skew`` seconds, token hash."""
    if proof.htm.upper() != method.upper():
        raise ProofError("method")
    if normalise_url(proof.htu) != normalise_url(url):
        raise ProofError("url")
    if abs(now - proof.iat) > skew:
        raise ProofError("iat")
    if access_token is None:
        if proof.ath is not None:
            raise ProofError("ath")
    elif proof.ath != token_hash(access_token):
        raise ProofError("ath")
