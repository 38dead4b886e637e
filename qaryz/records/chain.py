"""The audit hash chain, pure Python (no Django): canonical form, hashing and fast verification.

Canonical form of a record: its fields as text joined by the unit separator U+001F, in the order
of ``FIELDS``, then ``hash = SHA-256(prev_hash + U+001F + that text)``. Free-text fields are
stripped of control characters when written and ``data`` is JSON (which escapes them), so the
separator can never occur inside a field; the verifier counts separators to be sure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SEP = "\x1f"
GENESIS = "0" * 64
# Order matters: it is the canonical form. prev_hash and hash are handled separately.
FIELDS: tuple[str, ...] = (
    "seq",
    "ts",
    "category",
    "action",
    "actor_type",
    "actor_id",
    "actor_label",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "channel",
    "request_id",
    "data",
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: object, limit: int) -> str:
    """Text fit for a chained field: no control characters, bounded length."""
    text = value if type(value) is str else str(value if value is not None else "")
    if not text.isprintable():  # every character _CONTROL matches is unprintable: most text skips it
        text = _CONTROL.sub(" ", text)
    return text[:limit]


def record_hash(prev_hash: str, values: Sequence[str]) -> str:
    """Hash of one record given its FIELDS values as text."""
    return hashlib.sha256((prev_hash + SEP + SEP.join(values)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainResult:
    checked: int
    last_seq: int
    last_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_rows(
    rows: Iterable[Sequence],
    *,
    start_seq: int = 1,
    start_hash: str = GENESIS,
    checkpoints: dict[int, str] | None = None,
) -> ChainResult:
    """Walk rows ordered by seq, each ``(seq: int, prev_hash, hash, body)`` where body is the
    record's FIELDS as text joined by SEP (the database builds it; see selectors).

    Detects a changed row (hash mismatch), a removed row (gap in seq / broken link) and an
    inserted row (duplicate or extra seq, broken link). ``checkpoints`` maps seq → the hash a
    signed checkpoint fixed for it, which catches a consistent rewrite of the whole table.
    """
    expected_seps = len(FIELDS) - 1
    sha256 = hashlib.sha256
    checkpoints = checkpoints or {}
    prev = start_hash
    expected_seq = start_seq
    checked = 0
    for seq, stored_prev, stored_hash, body in rows:
        if seq != expected_seq:
            kind = "missing record(s) before it" if seq > expected_seq else "out-of-order or duplicate record"
            return ChainResult(checked, expected_seq - 1, prev, ChainBreak(seq, kind))
        if stored_prev != prev:
            return ChainResult(
                checked, seq - 1, prev, ChainBreak(seq, "link to the previous record is broken")
            )
        if sha256((prev + SEP + body).encode()).hexdigest() != stored_hash:
            return ChainResult(checked, seq - 1, prev, ChainBreak(seq, "content does not match its hash"))
        if body.count(SEP) != expected_seps:
            return ChainResult(checked, seq - 1, prev, ChainBreak(seq, "field contains a separator"))
        if checkpoints and seq in checkpoints and checkpoints[seq] != stored_hash:
            return ChainResult(checked, seq - 1, prev, ChainBreak(seq, "differs from a signed checkpoint"))
        prev = stored_hash
        expected_seq = seq + 1
        checked += 1
    return ChainResult(checked, expected_seq - 1, prev, None)
