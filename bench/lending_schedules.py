"""Benchmarks of the lending calculators and the public preview endpoint (issue 7, "Performance").

    .venv/bin/python bench/lending_schedules.py                      # calculators only
    .venv/bin/python bench/lending_schedules.py --http \\
        --database-url postgres://postgres@127.0.0.1:5432/qaryz_lending_bench

1. Schedule + effective rate of a 12-month loan, in-process (target <= 1 ms).
2. With --http: starts the production server (gunicorn with deploy/gunicorn.conf.py, the given
   database, migrated first) on a free loopback port and loads
   ``POST /api/v1/schedules/preview`` over many keep-alive connections (target >= 300 req/s):
   with ``wrk`` (Debian package ``wrk``) when installed, for ``--duration`` seconds, or else from
   a *second Python process* sending a bounded number of requests. Requests/s and latency
   percentiles are printed.

Other engineers share this machine's two cores: the figures vary with their load, so the load
average (1, 5, 15 min) is printed with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess  # nosec B404 - starts our own gunicorn and load process on loopback
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qaryz.lending.effective_rate import effective_rate  # noqa: E402 (pure modules, no Django)
from qaryz.lending.schedules import Fee, FeeKind, LoanTerms, Method, build_schedule  # noqa: E402

BODY = {
    "amount": "250000",
    "term_months": 12,
    "annual_rate_percent": "34.9",
    "start_date": "2026-03-15",
    "fees": [{"name": "issue", "kind": "one_off", "amount": "0", "percent": "1"}],
}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def bench_calculators(rounds: int) -> None:
    terms = LoanTerms(
        principal=Decimal("250000"),
        term_months=12,
        annual_rate_percent=Decimal("34.9"),
        method=Method.ANNUITY,
        start_date=dt.date(2026, 3, 15),
        fees=(
            Fee("issue", FeeKind.ONE_OFF, percent=Decimal("1")),
            Fee("service", FeeKind.MONTHLY, amount=Decimal("300")),
        ),
    )
    for method in Method:
        t = LoanTerms(**{**vars(terms), "method": method})
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            effective_rate(build_schedule(t).cash_flows())
            samples.append((time.perf_counter() - start) * 1e6)
        samples.sort()
        print(
            f"schedule+rate 12 months {method.value:15s}: median {statistics.median(samples):7.1f} us, "
            f"p95 {samples[int(len(samples) * 0.95)]:7.1f} us over {rounds} runs (target <= 1000 us); "
            f"{load_average()}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(port: int, requests: int, connections: int) -> None:
    """Runs in the second process: bounded request count, one thread per connection."""
    body = json.dumps(BODY)
    per = requests // connections
    errors = []
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for _ in range(per):
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/schedules/preview", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            except OSError as exc:
                errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    done = per * connections

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    print(
        f"preview over HTTP (python client): {done} requests, {connections} connections, {elapsed:.2f} s -> "
        f"{done / elapsed:.0f} req/s (target >= 300); latency p50 {pct(0.5):.1f} ms, p90 {pct(0.9):.1f} ms, "
        f"p99 {pct(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms; errors {len(errors)}; {load_average()}"
    )


def load_wrk(port: int, duration: int, connections: int) -> None:
    """wrk (one thread: the server needs the cores) for ``duration`` seconds; prints its report."""
    script = (
        'wrk.method = "POST"\n'
        f"wrk.body = [[{json.dumps(BODY)}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        before = load_average()
        result = subprocess.run(  # noqa: S603  # nosec B603 - wrk on loopback
            [
                shutil.which("wrk") or "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "-s",
                handle.name,
                f"http://127.0.0.1:{port}/api/v1/schedules/preview",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    report = result.stdout
    rate = next((line.split()[1] for line in report.splitlines() if line.startswith("Requests/sec")), "?")
    print(report.rstrip())
    print(
        f"preview over HTTP (wrk): {rate} req/s (target >= 300) with {connections} connections for "
        f"{duration} s; before: {before}; after: {load_average()}"
    )


def ensure_database(database_url: str) -> None:
    if not database_url.startswith("postgres"):
        return
    import psycopg

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # nosec B608 - our own bench database name


def bench_http(
    database_url: str, requests: int, connections: int, workers: int, client: str, duration: int
) -> None:
    ensure_database(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0", "QARYZ_LOG_LEVEL": "WARNING"}
    python = sys.executable
    subprocess.run(  # noqa: S603
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )  # nosec B603
    port = free_port()
    # The production server configuration (deploy/gunicorn.conf.py: gthread workers, keep-alive).
    server_env = {**env, "QARYZ_BIND": f"127.0.0.1:{port}", "QARYZ_WEB_WORKERS": str(workers)}
    server = subprocess.Popen(  # noqa: S603  # nosec B603
        [python, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "qaryz.wsgi"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,  # the access log
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        # Warm-up (imports, DB connection of each worker), then the measured run in a second process.
        subprocess.run(  # noqa: S603
            [
                python,
                __file__,
                "--load-only",
                str(port),
                "--requests",
                "200",
                "--connections",
                str(connections),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # nosec B603
        if client == "wrk":
            load_wrk(port, duration, connections)
        else:
            subprocess.run(  # noqa: S603
                [
                    python,
                    __file__,
                    "--load-only",
                    str(port),
                    "--requests",
                    str(requests),
                    "--connections",
                    str(connections),
                ],
                check=True,
            )  # nosec B603
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--http", action="store_true", help="also measure the preview endpoint over HTTP")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/qaryz_lending_bench")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (wrk when installed)",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load with wrk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:
        load(args.load_only, args.requests, args.connections)
        return
    bench_calculators(args.rounds)
    if args.http:
        bench_http(
            args.database_url, args.requests, args.connections, args.workers, args.client, args.duration
        )


if __name__ == "__main__":
    main()
