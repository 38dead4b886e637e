"""A software device key for tests and the demo: what the app does with its keystore key.

Not used by the running application.
"""

from __future__ import annotations

import json
import secrets
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from qaryz.devices.proof import b64url, thumbprint, token_hash


class DeviceKey:
    """An ES256 (default) or EdDSA key making DPoP proofs: ``proof(method, url, token=...)``."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        if alg == "ES256":
            self._key = ec.generate_private_key(ec.SECP256R1())
            numbers = self._key.public_key().public_numbers()
            self.jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")),
            }
        elif alg == "EdDSA":
            self._key = ed25519.Ed25519PrivateKey.generate()
            raw = self._key.public_key().public_bytes_raw()
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        else:
            raise ValueError(alg)
        self.jkt = thumbprint(self.jwk)

    def _sign(self, data: bytes) -> bytes:
        if self.alg == "ES256":
            r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._key.sign(data)

    def proof(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        iat: int | None = None,
        jti: str | None = None,
        jwk: dict | None = None,
    ) -> str:
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": jwk or self.jwk}
        payload: dict = {
            "jti": jti or secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time()) if iat is None else iat,
        }
        if token is not None:
            payload["ath"] = token_hash(token)
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
        ).encode()
        return signing_input.decode() + "." + b64url(self._sign(signing_input))


class App:
    """A mobile app instance in a test: Django's test client plus a device key, sending the
    bound token, a fresh proof, the app version and the location on every call."""

    BASE = "http://testserver"

    def __init__(
        self,
        http,
        key: DeviceKey | None = None,
        *,
        platform: str = "android",
        version: str = "1.0.0",
        location: str = "lat=43.238949;lon=76.889709;acc=20",
    ) -> None:
        self.http = http
        self.key = key or DeviceKey()
        self.platform, self.version, self.location = platform, version, location
        self.access: str | None = None
        self.refresh: str | None = None
        self.device_id: str | None = None

    def headers(self, method: str, path: str, *, token: str | None = None, proof: bool = True) -> dict:
        headers = {"HTTP_X_APP_PLATFORM": self.platform, "HTTP_X_APP_VERSION": self.version}
        if self.location:
            headers["HTTP_X_DEVICE_LOCATION"] = self.location
        if token:
            headers["HTTP_AUTHORIZATION"] = f"DPoP {token}"
        if proof:
            headers["HTTP_DPOP"] = self.key.proof(method, self.BASE + path, token=token)
        return headers

    def keep(self, answer) -> dict:
        body = answer.json()
        if answer.status_code == 200 and "refresh_token" in body:
            self.access, self.refresh, self.device_id = (
                body["access_token"],
                body["refresh_token"],
                body["device_id"],
            )
        return body

    def sign_in(self, path: str, body: dict):
        answer = self.http.post(path, body, content_type="application/json", **self.headers("POST", path))
        self.keep(answer)
        return answer

    def call(self, method: str, path: str, body: dict | None = None, **extra):
        headers = self.headers(method, path, token=self.access)
        headers.update(extra)
        func = getattr(self.http, method.lower())
        if method.upper() == "GET":
            return func(path, **headers)
        return func(path, body or {}, content_type="application/json", **headers)

    def renew(self):
        path = "/api/v1/devices/token"
        answer = self.http.post(
            path,
            {"refresh_token": self.refresh},
            content_type="application/json",
            **self.headers("POST", path),
        )
        self.keep(answer)
        return answer
