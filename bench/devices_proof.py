"""Figures for the devices room: DPoP proof verification alone (ES256, EdDSA) and a whole bound
API request (token lookup, proof, replay cache, device update) against an unbound one.

Run: QARYZ_DATA_DIR=/tmp/qd QARYZ_KEY_DIR=/tmp/qdk DATABASE_URL=sqlite:////tmp/qd/b.sqlite3 \
     .venv/bin/python bench/devices_proof.py
(It migrates the given database first; use a throw-away one. Other work on the machine skews it.)
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaryz.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{name:40s} n={len(samples):4d}  median {statistics.median(samples):7.3f} ms  p95 {p95:7.3f} ms")


def main() -> None:
    from django.test import Client as Http

    from qaryz.access.services import issue_api_token
    from qaryz.access.testing import make_client
    from qaryz.devices import proof as dpop
    from qaryz.devices import services
    from qaryz.devices.testing import App, DeviceKey

    for alg in ("ES256", "EdDSA"):
        key = DeviceKey(alg)
        sample = "bench-token-value"
        proofs = iter(
            [key.proof("GET", "https://qaryz.kz/api/v1/access/me", token=sample) for _ in range(500)]
        )
        report(f"parse+verify proof {alg}", timed(lambda it=proofs: dpop.parse(next(it)), 500))

    call_command("migrate", verbosity=0)
    http = Http()
    person = make_client()
    token, _session = issue_api_token(person)
    report(
        "GET /access/me unbound bearer",
        timed(lambda: http.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {token}"), 200),
    )
    app = App(http)
    from qaryz.access.services import end_session

    bound_token, session = issue_api_token(person)
    answer = app.http.post(
        "/api/v1/devices/bind",
        {},
        content_type="application/json",
        **app.headers("POST", "/api/v1/devices/bind", token=bound_token),
    )
    app.keep(answer)
    assert answer.status_code == 200, answer.content
    report("GET /access/me bound (DPoP proof)", timed(lambda: app.call("GET", "/api/v1/access/me"), 200))
    end_session(session, "bench")
    print(f"replay-cache rows after the run: {services.ProofJti.objects.count()}")


if __name__ == "__main__":
    main()
