"""A stand-in for NCALayer in browser tests: a minimal WebSocket-over-TLS server on
wss://127.0.0.1:13579 that speaks the commonUtils calls the page uses and signs with a test key.

Only for tests: it is the browser side we test here, against an NCALayer-shaped peer."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import json
import socket
import ssl
import struct
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from qaryz.signatures.testpki import TestPki, new_rsa_key

NCALAYER_PORT = 13579
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _tls_context(directory: Path) -> ssl.SSLContext:
    key = new_rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    (directory / "ncalayer.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "ncalayer.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "ncalayer.pem", directory / "ncalayer.key")
    return context


def _recv_exact(conn: ssl.SSLSocket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(conn: ssl.SSLSocket) -> tuple[int, bytes]:
    first, second = _recv_exact(conn, 2)
    opcode, length = first & 0x0F, second & 0x7F
    if length == 126:
        length = struct.unpack(">H", _recv_exact(conn, 2))[0]
    elif length == 127:
        length = struct.unpack(">Q", _recv_exact(conn, 8))[0]
    mask = _recv_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
    payload = bytearray(_recv_exact(conn, length))
    for i in range(length):
        payload[i] ^= mask[i % 4]
    return opcode, bytes(payload)


def _send_text(conn: ssl.SSLSocket, text: str) -> None:
    data = text.encode()
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([len(data)])
    elif len(data) < 65536:
        header += bytes([126]) + struct.pack(">H", len(data))
    else:
        header += bytes([127]) + struct.pack(">Q", len(data))
    conn.sendall(header + data)


class FakeNCALayer:
    def __init__(self, pki: TestPki, key_label: str, directory: Path) -> None:
        self.pki = pki
        self.key_label = key_label
        self.calls: list[str] = []
        self._context = _tls_context(directory)
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 30
        while True:  # the port is fixed (NCALayer's); wait if another test run holds it
            try:
                self._sock.bind(("127.0.0.1", NCALAYER_PORT))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self._sock.listen(4)
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop = True
        # shutdown wakes the accept() of the serving thread, which otherwise keeps the port listening
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stop:
            try:
                raw, _addr = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw: socket.socket) -> None:
        try:
            conn = self._context.wrap_socket(raw, server_side=True)
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            headers = dict(
                line.split(": ", 1) for line in request.decode("latin-1").split("\r\n")[1:] if ": " in line
            )
            key = headers.get("Sec-WebSocket-Key") or headers.get("sec-websocket-key", "")
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()  # noqa: S324 - RFC 6455
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
            )
            _send_text(conn, json.dumps({"result": {"version": "1.4-test"}}))
            while True:
                opcode, payload = _read_frame(conn)
                if opcode == 0x8:
                    return
                message = json.loads(payload)
                self.calls.append(message["method"])
                if message["method"] == "getActiveTokens":
                    answer = {"code": "200", "responseObject": ["AKKaztokenStore"]}
                elif message["method"] == "createCAdESFromBase64":
                    storage, key_type, data, attach = message["args"]
                    assert key_type == "SIGNATURE" and attach is False, message["args"]
                    cms = self.pki.sign(self.key_label, base64.b64decode(data))
                    answer = {"code": "200", "responseObject": base64.b64encode(cms).decode()}
                else:
                    answer = {"code": "500", "message": "unknown method"}
                _send_text(conn, json.dumps(answer))
        except (ConnectionError, OSError, ssl.SSLError, ValueError):
            return
