"""TLS 1.2 or newer only (R-TLS-1): the production gunicorn configuration refuses TLS 1.0/1.1.

Recipe: ../shared/design/TESTING.md "Proving TLS 1.2 or newer only". OpenSSL 3 refuses TLS 1.1 on
the client side too, so the TLS 1.1 client is built to speak it (SECLEVEL=0) and a control proves
that this very client completes a TLS 1.1 handshake with a permissive server; only then does its
failure against gunicorn mean that gunicorn refused it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
pytestmark = [
    pytest.mark.req("R-TLS-1"),
    pytest.mark.xdist_group("tls"),
    # The test deliberately builds TLS 1.0/1.1 contexts (client and control server).
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]


def make_certificate(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def client_context(cert: Path, version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client pinned to one protocol version; old versions get SECLEVEL=0 so they can be spoken."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cert)
    context.minimum_version = context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def handshake(port: int, context: ssl.SSLContext) -> str:
    """The negotiated protocol version, or raises ssl.SSLError when the handshake fails."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return str(tls.version())


def https_get(port: int, context: ssl.SSLContext, path: str) -> tuple[str, int, bytes]:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        version = str(tls.version())
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return version, status, body


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


@pytest.fixture
def permissive_server(certificate):
    """Control: a server that accepts TLS 1.0 and 1.1 (never used by the product)."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


@pytest.fixture
def gunicorn_tls(certificate, tmp_path: Path):
    """The production configuration, started as in production, on a free loopback port."""
    cert, key = certificate
    env = {
        **os.environ,
        "QARYZ_BIND": "127.0.0.1:0",
        "QARYZ_TLS_CERT": str(cert),
        "QARYZ_TLS_KEY": str(key),
        "QARYZ_WEB_WORKERS": "1",
        "QARYZ_WEB_THREADS": "1",
        "QARYZ_DATA_DIR": str(tmp_path / "data"),
        "QARYZ_KEY_DIR": str(tmp_path / "keys"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tls.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "qaryz.settings",
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "qaryz.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        port = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            text = log_path.read_text(errors="replace")
            match = re.search(r"Listening at: https://127\.0\.0\.1:(\d+)", text)
            if match and "Booting worker" in text:
                port = int(match.group(1))
                break
            time.sleep(0.1)
        if port is None:
            pytest.fail(f"gunicorn did not start:\n{log_path.read_text(errors='replace')}")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_control_the_tls11_client_really_speaks_tls11(certificate, permissive_server):
    cert, _ = certificate
    assert handshake(permissive_server, client_context(cert, ssl.TLSVersion.TLSv1_1)) == "TLSv1.1"
    assert handshake(permissive_server, client_context(cert, ssl.TLSVersion.TLSv1)) == "TLSv1"


def test_gunicorn_refuses_tls10_and_tls11_and_serves_tls12_and_tls13(certificate, gunicorn_tls):
    cert, _ = certificate
    # The same clients that completed a TLS 1.0/1.1 handshake in the control test are refused here.
    for old in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
        with pytest.raises(ssl.SSLError) as refused:
            handshake(gunicorn_tls, client_context(cert, old))
        assert "PROTOCOL_VERSION" in str(refused.value).upper() or "VERSION" in refused.value.reason.upper()

    for modern, expected in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
        version, status, body = https_get(gunicorn_tls, client_context(cert, modern), "/api/v1/health")
        assert (version, status) == (expected, 200)
        assert b'"status":"ok"' in body.replace(b" ", b"")


def test_tls12_offers_only_forward_secret_aead_ciphers(certificate, gunicorn_tls):
    cert, _ = certificate
    weak = client_context(cert, ssl.TLSVersion.TLSv1_2)
    weak.set_ciphers("AES128-SHA:AES256-SHA:AES128-GCM-SHA256")  # RSA key exchange, CBC
    with pytest.raises(ssl.SSLError):
        handshake(gunicorn_tls, weak)
    strong = client_context(cert, ssl.TLSVersion.TLSv1_2)
    with (
        socket.create_connection(("127.0.0.1", gunicorn_tls), timeout=10) as raw,
        strong.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        cipher = tls.cipher()
    assert cipher is not None
    name = cipher[0]
    assert name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name)
