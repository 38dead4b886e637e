"""Figures for the access room: Argon2 password check, OTP issue+verify, full password step.

Run: QARYZ_DATA_DIR=/tmp/qb QARYZ_KEY_DIR=/tmp/qbk DATABASE_URL=sqlite:////tmp/qb/b.sqlite3 \
     .venv/bin/python bench/access_auth.py
(It migrates the given database first; use a throw-away one. Other work on the machine skews it.)
"""

from __future__ import annotations

import os
import re
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaryz.settings")

import django

django.setup()

from django.contrib.auth.hashers import check_password, make_password  # noqa: E402
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
    print(f"{name:38s} n={len(samples):4d}  median {statistics.median(samples):7.2f} ms  p95 {p95:7.2f} ms")


def main() -> None:
    call_command("migrate", verbosity=0)
    from django.conf import settings

    settings.OTP_RESEND_SECONDS = 0
    from qaryz.access import otp, services
    from qaryz.access.testing import TEST_PASSWORD, make_client
    from qaryz.messaging.models import EmbeddedSms

    encoded = make_password("Bench-Password-2026")
    report("Argon2 check_password", timed(lambda: check_password("Bench-Password-2026", encoded), 30))

    phones = iter(f"+7705{i:07d}" for i in range(10**6))

    def otp_roundtrip() -> None:
        phone = next(phones)
        challenge = otp.issue(phone, "login")
        code = re.search(r"\b(\d{6})\b", EmbeddedSms.objects.filter(phone=phone).latest("id").text).group(1)
        otp.verify(challenge.public_id, code, purpose="login")

    report("OTP issue + SMS (embedded) + verify", timed(otp_roundtrip, 100))

    person = make_client(phone=f"+7706{int(time.time()) % 10**7:07d}")
    report(
        "password step (client_check_password)",
        timed(lambda: services.client_check_password(person.phone, TEST_PASSWORD), 30),
    )


if __name__ == "__main__":
    main()
