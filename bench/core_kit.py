"""Throughput of the core kit's pure functions (no Django). Run: .venv/bin/python bench/core_kit.py

Figures depend on machine load; on shared build machines say so next to them.
"""

from __future__ import annotations

import timeit
from datetime import date
from decimal import Decimal

from qaryz.core.identifiers import normalise_kz_mobile, parse_bin, parse_iin, parse_kz_iban
from qaryz.core.money import allocate, format_money, parse_money
from qaryz.core.workdays import add_working_days, is_working_day, working_days_between

CASES = {
    "parse_iin": lambda: parse_iin("900101300017"),
    "parse_bin": lambda: parse_bin("940140000385"),
    "parse_kz_iban": lambda: parse_kz_iban("KZ86125KZT5004100100"),
    "normalise_kz_mobile": lambda: normalise_kz_mobile("8 701 234 56 78"),
    "parse_money": lambda: parse_money("1 000 000,50"),
    "format_money": lambda: format_money(Decimal("1000000.50"), "ru"),
    "allocate(100000, 12)": lambda: allocate(Decimal("100000"), 12),
    "is_working_day": lambda: is_working_day(date(2025, 3, 24)),
    "add_working_days(+10)": lambda: add_working_days(date(2025, 3, 20), 10),
    "working_days_between(1 year)": lambda: working_days_between(date(2025, 1, 1), date(2025, 12, 31)),
}


def main() -> None:
    for name, fn in CASES.items():
        fn()  # warm caches (holiday tables)
        runs, seconds = timeit.Timer(fn).autorange()
        print(f"{name:30s} {seconds / runs * 1e6:10.1f} µs/call")


if __name__ == "__main__":
    main()
