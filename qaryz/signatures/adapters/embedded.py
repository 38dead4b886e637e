"""Embedded revocation service for the test PKI: an OCSP responder and CRL publisher.

``TestPkiServer`` is a small HTTP service of the project's own (``POST /ocsp``,
``GET /crl/intermediate.crl``, ``GET /ca/intermediate.cer``) answering from the test PKI's
on-disk state, so that tests exercise ``adapters.http.HttpRevocationChecker`` end to end.
``EmbeddedRevocationChecker`` runs the same OCSP/CRL client code against the same responder
in-process (the demo, where nothing listens on a port).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..ports import RevocationState, RevocationStatus
from ..revocation import OcspCrlChecker
from ..testpki import TestPki
from ..testpki_gost import open_test_pki


class _Handler(BaseHTTPRequestHandler):
    server: _PkiHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if not self.server.ocsp_online:
            self._send(503, b"", "text/plain")
            return
        if self.path.rstrip("/") != "/ocsp":
            self._send(404, b"", "text/plain")
            return
        length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        body = self.rfile.read(length)
        self.server.ocsp_requests += 1
        self._send(200, self.server.pki().ocsp_respond(body), "application/ocsp-response")

    def do_GET(self) -> None:
        if self.path in ("/crl/intermediate.crl", "/crl/root.crl"):
            if not self.server.crl_online:
                self._send(503, b"", "text/plain")
                return
            self.server.crl_requests += 1
            issuer = "root" if self.path == "/crl/root.crl" else "intermediate"
            self._send(200, self.server.pki().crl(issuer=issuer), "application/pkix-crl")
        elif self.path == "/ca/intermediate.cer":
            self._send(
                200,
                self.server.pki().intermediate.public_bytes(serialization.Encoding.DER),
                "application/pkix-cert",
            )
        else:
            self._send(404, b"", "text/plain")


class _PkiHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.directory = directory
        self.ocsp_online = True
        self.crl_online = True
        self.ocsp_requests = 0
        self.crl_requests = 0
        self._pki: TestPki | None = None

    def pki(self) -> TestPki:
        # Loaded lazily: the PKI may be created after the server, with the server's URL in its certificates.
        if self._pki is None:
            self._pki = open_test_pki(self.directory)
        return self._pki


class TestPkiServer:
    """OCSP responder + CRL publisher for the test PKI on a free loopback port."""

    __test__ = False

    def __init__(self, directory: Path | str) -> None:
        self._server = _PkiHTTPServer(Path(directory))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def ocsp_requests(self) -> int:
        return self._server.ocsp_requests

    @property
    def crl_requests(self) -> int:
        return self._server.crl_requests

    def set_online(self, *, ocsp: bool = True, crl: bool = True) -> None:
        """Simulate the OCSP responder and/or the CRL publisher being down (HTTP 503)."""
        self._server.ocsp_online = ocsp
        self._server.crl_online = crl

    def start(self) -> TestPkiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TestPkiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmbeddedRevocationChecker(OcspCrlChecker):
    """OCSP/CRL client answered in-process by the test PKI's responder (demo mode)."""

    def __init__(self, directory: Path | str, *, cache_seconds: int = 300) -> None:
        self.pki = open_test_pki(directory)
        super().__init__(
            fetch_ocsp=lambda _url, request: self.pki.ocsp_respond(request),
            fetch_crl=lambda url: self.pki.crl(
                issuer="root" if url.endswith("/root.crl") else "intermediate"
            ),
            ocsp_url="embedded:ocsp",
            cache_seconds=cache_seconds,
            max_age=timedelta(days=1),
        )


class MultiPkiRevocationChecker:
    """Embedded checkers of several test PKIs (RSA and GOST), each asked for the certificates its own
    CAs issued; a certificate of another issuer is UNKNOWN (fail closed)."""

    def __init__(self, directories: list[Path], *, cache_seconds: int = 300) -> None:
        self.checkers = [EmbeddedRevocationChecker(d, cache_seconds=cache_seconds) for d in directories]

    def clear_cache(self) -> None:
        for checker in self.checkers:
            checker.clear_cache()

    def check(
        self, certificate: x509.Certificate, issuer: x509.Certificate, *, now: datetime
    ) -> RevocationStatus:
        for checker in self.checkers:
            if issuer in (checker.pki.intermediate, checker.pki.root):
                return checker.check(certificate, issuer, now=now)
        return RevocationStatus(RevocationState.UNKNOWN, "", now, detail="issuer is not a test PKI CA")
