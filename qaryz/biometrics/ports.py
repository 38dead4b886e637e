"""The biometric port: what Qaryz needs from a face engine (embedded simulator or TsOID/vendor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .engine.liveness import Timeline


@dataclass
class LivenessOutcome:
    passed: bool
    reason: str
    evidence: dict
    digests: list[str]
    best_jpeg: bytes | None = None
    best_descriptor: np.ndarray | None = None


@dataclass(frozen=True)
class Reference:
    source: str  # "document" | "registration"
    descriptor: np.ndarray


@dataclass
class MatchOutcome:
    decision: str  # "match" | "no_match" | "no_reference" | "spoof" | "error"
    similarities: dict[str, float] = field(default_factory=dict)  # source -> percent
    provider_reference: str = ""
    detail: str = ""


class BiometricProvider(Protocol):
    name: str

    def describe(self, image: bytes) -> np.ndarray:
        """128-d descriptor of the largest face (raises engine.faces.FaceError)."""
        ...

    def analyse_liveness(
        self, challenges: Sequence[str], frames: Sequence[tuple[int, int, bytes]], timeline: Timeline
    ) -> LivenessOutcome:
        """Check the challenge protocol on (step, t_ms, image bytes) frames."""
        ...

    def match(
        self,
        *,
        iin: str,
        selfie_jpeg: bytes,
        selfie_descriptor: np.ndarray | None,
        references: Sequence[Reference],
        liveness: dict,
        threshold: float,
    ) -> MatchOutcome:
        """1:1 comparison of the selfie with the references; similarity in percent."""
        ...
