"""Benchmark: verify an RSA-2048 CMS (chain to the root, key usage, IIN) with a cached OCSP answer.

Target (issue 6): <= 5 ms per verification on one core. Pure code, no Django.
Run: .venv/bin/python bench/signatures_verify.py [iterations]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from qaryz.signatures.adapters.embedded import EmbeddedRevocationChecker
from qaryz.signatures.testpki import TestPki
from qaryz.signatures.verify import TrustStore, verify_cms


def main(iterations: int = 500) -> None:
    if hasattr(os, "sched_setaffinity"):  # one core, as the target says
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as directory:
        pki = TestPki.create(directory)
        key = pki.issue_client(iin="900101300123", surname="БЕНЧ", given_name="ТЕСТ")
        content = b'{"format":"qaryz-eds-request/1","nonce":"' + os.urandom(16).hex().encode() + b'"}'
        cms = pki.sign(key.label, content)
        trust = TrustStore([pki.root])
        checker = EmbeddedRevocationChecker(directory, cache_seconds=3600)

        started = time.perf_counter()
        first = verify_cms(cms, content, trust=trust, revocation=checker, expected_iin="900101300123")
        uncached_ms = (time.perf_counter() - started) * 1000
        assert first.ok and first.revocation is not None and not first.revocation.from_cache, first.detail

        timings = []
        for _ in range(iterations):
            started = time.perf_counter()
            result = verify_cms(cms, content, trust=trust, revocation=checker, expected_iin="900101300123")
            timings.append((time.perf_counter() - started) * 1000)
            assert result.ok and result.revocation is not None and result.revocation.from_cache
    timings.sort()
    load = os.getloadavg()
    print(f"RSA-2048 CMS verify, chain of 3, cached OCSP, {iterations} runs on one core:")
    print(
        f"  median {statistics.median(timings):.2f} ms  p95 {timings[int(0.95 * len(timings)) - 1]:.2f} ms  "
        f"mean {statistics.fmean(timings):.2f} ms  (target <= 5 ms)"
    )
    print(f"  first verification with an in-process OCSP round trip: {uncached_ms:.2f} ms")
    print(
        f"  machine load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores "
        "(shared with other engineers' work)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
