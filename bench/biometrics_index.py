"""Bench of the 1:N antifraud face index (issue 5): search time over 100k descriptors.

    .venv/bin/python bench/biometrics_index.py [--size 100000] [--queries 50]

Random unit-scale descriptors stand in for clients (real ones are 128-d with norm ~1). The machine
is shared with other engineers' test runs: the figures are upper bounds of quiet-machine ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qaryz.biometrics.engine.index import FaceIndex


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    data = rng.normal(0, 0.088, (args.size, 128)).astype(np.float32)  # norm ~1 like dlib descriptors
    index = FaceIndex()
    t = time.perf_counter()
    index.extend(enumerate(data))
    index.search(data[0])
    build = time.perf_counter() - t
    times, found = [], 0
    for _ in range(args.queries):
        target = int(rng.integers(args.size))
        q = data[target] + rng.normal(0, 0.02, 128).astype(np.float32)
        t = time.perf_counter()
        hits = index.search(q, max_distance=0.5, limit=5)
        times.append((time.perf_counter() - t) * 1000)
        found += bool(hits) and hits[0].key == target
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (shared with other engineers)"
    )
    print(f"index of {args.size} descriptors built in {build:.2f} s ({data.nbytes / 1e6:.0f} MB float32)")
    print(
        f"1:N search over {args.size}: p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms; "
        f"planted match found first in {found}/{args.queries} queries"
    )


if __name__ == "__main__":
    main()
