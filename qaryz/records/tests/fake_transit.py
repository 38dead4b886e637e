"""A small stand-in for HashiCorp Vault's Transit secrets engine, for the tests.

A threaded ``http.server`` that keeps real state and answers like Vault: named keys with versions
(AES-256-GCM, ciphertext ``vault:v<N>:base64(nonce ‖ ciphertext ‖ tag)``), encrypt (creating the
key on first use, as Vault's upsert does), decrypt, rewrap, rotate, key info, ``config``
(``min_decryption_version``), token check (``X-Vault-Token``, 403 "permission denied"), 404 for
unknown keys, 400 ``{"errors": [...]}`` for bad ciphertexts, and switches to make it sealed (503)
or slow (for timeouts).
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PATH = re.compile(
    r"^/v1/(?P<mount>[A-Za-z0-9_./-]+?)/(?P<op>keys|encrypt|decrypt|rewrap)/(?P<name>[A-Za-z0-9_.-]+)(?P<rest>/[a-z]+)?$"
)


class TransitKey:
    def __init__(self) -> None:
        self.versions: dict[int, bytes] = {1: AESGCM.generate_key(bit_length=256)}
        self.created: dict[int, int] = {1: int(time.time())}
        self.min_decryption_version = 1

    @property
    def latest(self) -> int:
        return max(self.versions)

    def info(self, name: str) -> dict:
        return {
            "name": name,
            "type": "aes256-gcm96",
            "latest_version": self.latest,
            "min_decryption_version": self.min_decryption_version,
            "min_encryption_version": 0,
            "deletion_allowed": False,
            "exportable": False,
            "supports_encryption": True,
            "supports_decryption": True,
            "keys": {str(v): t for v, t in self.created.items()},
        }

    def encrypt(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.versions[self.latest]).encrypt(nonce, plaintext, None)
        return f"vault:v{self.latest}:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, ciphertext: str) -> bytes:
        match = re.fullmatch(r"vault:v(\d+):(.+)", ciphertext or "")
        if match is None:
            raise ValueError("invalid ciphertext: no prefix")
        version = int(match.group(1))
        if version < self.min_decryption_version:
            raise ValueError("ciphertext or signature version is disallowed by policy (too old)")
        if version not in self.versions:
            raise ValueError("invalid ciphertext version")
        try:
            raw = base64.b64decode(match.group(2), validate=True)
        except ValueError as exc:
            raise ValueError("invalid ciphertext: unable to decode") from exc
        try:
            return AESGCM(self.versions[version]).decrypt(raw[:12], raw[12:], None)
        except InvalidTag as exc:
            raise ValueError("cipher: message authentication failed") from exc


class FakeTransit:
    """Start with ``with FakeTransit(token="t") as vault: vault.url``."""

    def __init__(self, *, token: str, mount: str = "transit") -> None:
        self.token = token
        self.mount = mount
        self.keys: dict[str, TransitKey] = {}
        self.requests: list[tuple[str, str]] = []
        self.sealed = False
        self.delay = 0.0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PUT(self) -> None:
                fake._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTransit:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- request handling ---------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        self.requests.append((method, handler.path))
        if self.delay:
            time.sleep(self.delay)
        if self.sealed:
            return self._answer(handler, 503, {"errors": ["Vault is sealed"]})
        if handler.headers.get("X-Vault-Token") != self.token:
            return self._answer(handler, 403, {"errors": ["permission denied"]})
        match = _PATH.match(handler.path)
        if match is None or match["mount"] != self.mount:
            return self._answer(handler, 404, {"errors": [f"no handler for route '{handler.path[4:]}'"]})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._answer(handler, 400, {"errors": ["failed to parse JSON input"]})
        with self.lock:
            status, payload = self._route(method, match["op"], match["name"], match["rest"] or "", body)
        self._answer(handler, status, payload)

    def _route(self, method: str, op: str, name: str, rest: str, body: dict) -> tuple[int, dict | None]:
        key = self.keys.get(name)
        if op == "keys":
            if method == "GET" and not rest:
                return (200, {"data": key.info(name)}) if key else (404, {"errors": []})
            if method == "POST" and not rest:
                self.keys.setdefault(name, TransitKey())
                return 204, None
            if key is None:
                return 404, {"errors": ["encryption key not found"]}
            if rest == "/rotate":
                version = key.latest + 1
                key.versions[version] = AESGCM.generate_key(bit_length=256)
                key.created[version] = int(time.time())
                return 200, {"data": key.info(name)}
            if rest == "/config":
                wanted = int(body.get("min_decryption_version", key.min_decryption_version))
                if wanted > key.latest:
                    return 400, {"errors": ["cannot set min decryption version above latest version"]}
                key.min_decryption_version = max(1, wanted)
                return 200, {"data": key.info(name)}
            return 404, {"errors": ["unsupported path"]}
        if op == "encrypt":
            try:
                plaintext = base64.b64decode(body.get("plaintext", ""), validate=True)
            except ValueError:
                return 400, {"errors": ["failed to base64-decode plaintext"]}
            key = self.keys.setdefault(name, TransitKey())  # Vault creates the key on first encrypt
            return 200, {"data": {"ciphertext": key.encrypt(plaintext), "key_version": key.latest}}
        if key is None:
            return 400, {"errors": ["encryption key not found"]}
        try:
            plaintext = key.decrypt(body.get("ciphertext", ""))
        except ValueError as exc:
            return 400, {"errors": [str(exc)]}
        if op == "decrypt":
            return 200, {"data": {"plaintext": base64.b64encode(plaintext).decode()}}
        return 200, {"data": {"ciphertext": key.encrypt(plaintext), "key_version": key.latest}}  # rewrap

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, payload: dict | None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
