"""Screening one name against 10 000 list entries (issue 7 target: <= 5 ms).

    .venv/bin/python bench/compliance_screening.py [--entries 10000] [--queries 500]

Synthetic entries from Kazakh/Russian name parts (seeded), half in Cyrillic and half in Latin;
queries mix names on the list (other spelling) and names not on it. Other engineers share this
machine's two cores: figures vary with their load.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qaryz.compliance.matching import Entry, Index, Subject
from qaryz.compliance.translit import fold, transliterate

ONSETS = [
    "Ах",
    "Бек",
    "Сей",
    "Жу",
    "Нур",
    "Ка",
    "Тле",
    "Ос",
    "Му",
    "Ер",
    "Са",
    "Ай",
    "Да",
    "Ма",
    "Ру",
    "Ти",
    "Ол",
    "Аб",
]
MIDDLES = [
    "ма",
    "ке",
    "жан",
    "бай",
    "бол",
    "гали",
    "тай",
    "мұ",
    "қа",
    "лы",
    "рат",
    "сұл",
    "ра",
    "ди",
    "ни",
    "ғи",
]
ENDINGS = ["ов", "ова", "ев", "ева", "ұлы", "қызы", "ин", "ина", "баев", "баева", "бек", "ханов"]
GIVEN = ["Нурлан", "Айгерим", "Ерлан", "Алия", "Данияр", "Жанна", "Марат", "Сауле", "Асхат", "Мадина", "Тимур",
         "Дана", "Бауыржан", "Гульнара", "Олжас", "Асель", "Кайрат", "Салтанат", "Арман", "Динара", "Сергей", "Ирина"]  # fmt: skip


def surname(rng: random.Random) -> str:
    return (
        rng.choice(ONSETS)
        + "".join(rng.choice(MIDDLES) for _ in range(rng.randint(1, 2)))
        + rng.choice(ENDINGS)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(7)
    names = [f"{surname(rng)} {rng.choice(GIVEN)}" for _ in range(args.entries)]
    entries = [
        Entry(i, [transliterate(n) if i % 2 else n], birth_year=rng.randint(1950, 2005))
        for i, n in enumerate(names)
    ]
    start = time.perf_counter()
    index = Index(entries)
    print(f"index of {len(index)} entries built in {(time.perf_counter() - start) * 1000:.0f} ms")
    queries = []
    for i in range(args.queries):
        if i % 2:
            listed = names[rng.randrange(len(names))]
            queries.append(transliterate(listed) if rng.random() < 0.5 else listed)
        else:
            queries.append(f"{surname(rng)} {rng.choice(GIVEN)}")
    samples, candidates, hits = [], [], 0
    for q in queries:
        t0 = time.perf_counter()
        result = index.screen(Subject(q))
        samples.append((time.perf_counter() - t0) * 1000)
        hits += result.outcome != "clear"
        candidates.append(len(index.candidates(fold(q))))
    samples.sort()
    print(
        f"screen one name against {len(index)} entries: median {statistics.median(samples):.2f} ms, "
        f"p95 {samples[int(len(samples) * 0.95)]:.2f} ms, max {samples[-1]:.2f} ms over {len(samples)} queries "
        f"(target <= 5 ms); median candidates after blocking {statistics.median(candidates):.0f}; "
        f"queries with a possible match {hits}; load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
        + f" on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
