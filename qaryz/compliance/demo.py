"""Demo AML list: invented, clearly fictional names (qaryz/compliance/data/demo_aml_list.csv).

DEMO-0001 carries the IIN 870909370012 (a client with it is refused); DEMO-0002 is a Latin
spelling that a client "Жалғасбеков Демобек" born in 1975 fuzzily matches (manual review).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from qaryz.compliance.models import ScreeningList
from qaryz.compliance.services import ensure_list, import_list

DEMO_LIST = Path(__file__).parent / "data" / "demo_aml_list.csv"


def load_demo(out: TextIO) -> None:
    screening_list = ensure_list(
        "demo-terrorism",
        name="Демо: перечень лиц, связанных с терроризмом и экстремизмом (вымышленный)",
        kind=ScreeningList.Kind.TERRORISM,
        fmt=ScreeningList.Format.CSV,
        source="qaryz/compliance/data/demo_aml_list.csv (fictional)",
    )
    if not screening_list.versions.exists():
        version = import_list(
            screening_list.code, DEMO_LIST.read_bytes(), file_name=DEMO_LIST.name, rescreen=False
        )
        out.write(f"AML demo list: {version.entry_count} fictional entries imported\n")
