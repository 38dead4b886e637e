"""Production serving of Qaryz: ``gunicorn -c deploy/gunicorn.conf.py qaryz.wsgi``.

Two supported topologies (README, "Production"):

* gunicorn terminates TLS itself: set ``QARYZ_TLS_CERT`` and ``QARYZ_TLS_KEY``; the
  ``ssl_context`` hook below refuses everything older than TLS 1.2 (R-TLS-1).
* a reverse proxy terminates TLS (nginx, HAProxy, a cloud load balancer) and talks plain HTTP to
  gunicorn on a private address: leave the two variables empty and configure the proxy with
  ``ssl_protocols TLSv1.2 TLSv1.3`` (or its equivalent) – the proxy then carries R-TLS-1.

Everything is read from environment variables with defaults, like qaryz/settings.py.
"""

from __future__ import annotations

import multiprocessing
import os
import ssl

# ECDHE key exchange with AEAD ciphers only for TLS 1.2 (forward secrecy, no CBC, no RSA key
# exchange); TLS 1.3 suites are fixed by OpenSSL and all strong.
TLS12_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)

bind = [os.environ.get("QARYZ_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("QARYZ_WEB_WORKERS", str(min(2 * multiprocessing.cpu_count() + 1, 9))))
threads = int(os.environ.get("QARYZ_WEB_THREADS", "2"))
timeout = int(os.environ.get("QARYZ_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Bounded request lines and headers: a cheap guard against slow or oversized request attacks.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
# Addresses of proxies whose X-Forwarded-* headers are believed (the proxy in front, if any).
forwarded_allow_ips = os.environ.get("QARYZ_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "qaryz-web"

certfile = os.environ.get("QARYZ_TLS_CERT") or None
keyfile = os.environ.get("QARYZ_TLS_KEY") or None


def ssl_context(conf, default_ssl_context_factory):
    """TLS 1.2 or newer only (R-TLS-1); called by gunicorn when certfile/keyfile are set."""
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_RENEGOTIATION
    return context
