"""1:N face index for antifraud: the same face under another IIN (vectorised numpy, no Django)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from .faces import DESCRIPTOR_SIZE


@dataclass(frozen=True)
class Hit:
    key: Hashable
    distance: float


class FaceIndex:
    """Descriptors in one float32 matrix; a search is one matrix-vector product over all rows.

    ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b, with the row norms kept, so a query over 100k
    descriptors costs one (100k x 128) product instead of a Python loop.
    """

    def __init__(self) -> None:
        self._keys: list[Hashable] = []
        self._rows: dict[Hashable, int] = {}
        self._matrix = np.empty((0, DESCRIPTOR_SIZE), dtype=np.float32)
        self._norms = np.empty((0,), dtype=np.float32)
        self._pending: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: Hashable, descriptor: np.ndarray) -> None:
        vec = np.asarray(descriptor, dtype=np.float32).reshape(DESCRIPTOR_SIZE)
        if key in self._rows:
            self._flush()
            row = self._rows[key]
            self._matrix[row] = vec
            self._norms[row] = float(vec @ vec)
            return
        self._rows[key] = len(self._keys)
        self._keys.append(key)
        self._pending.append(vec)

    def extend(self, items: Iterable[tuple[Hashable, np.ndarray]]) -> None:
        for key, vec in items:
            self.add(key, vec)

    def _flush(self) -> None:
        if self._pending:
            block = np.vstack(self._pending).astype(np.float32)
            self._matrix = np.vstack([self._matrix, block])
            self._norms = np.concatenate([self._norms, np.einsum("ij,ij->i", block, block)])
            self._pending = []

    def search(
        self,
        descriptor: np.ndarray,
        *,
        max_distance: float = 0.5,
        limit: int = 5,
        exclude: Iterable[Hashable] = (),
    ) -> list[Hit]:
        """Nearest stored descriptors under `max_distance`, closest first."""
        self._flush()
        if not self._keys:
            return []
        q = np.asarray(descriptor, dtype=np.float32).reshape(DESCRIPTOR_SIZE)
        d2 = self._norms + float(q @ q) - 2.0 * (self._matrix @ q)
        np.maximum(d2, 0, out=d2)
        excluded = {self._rows[k] for k in exclude if k in self._rows}
        k = min(limit + len(excluded), len(self._keys))
        idx = np.argpartition(d2, k - 1)[:k] if k < len(self._keys) else np.arange(len(self._keys))
        idx = idx[np.argsort(d2[idx])]
        limit2 = max_distance * max_distance
        hits = [
            Hit(self._keys[i], float(np.sqrt(d2[i]))) for i in idx if i not in excluded and d2[i] <= limit2
        ]
        return hits[:limit]
