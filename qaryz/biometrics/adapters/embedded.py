"""Embedded engine adapter: everything offline, with the models shipped inside the packages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engine import faces, liveness
from ..engine.liveness import Timeline
from ..ports import LivenessOutcome, MatchOutcome, Reference


def describe_image(image: bytes) -> np.ndarray:
    return faces.describe(faces.decode_image(image), side=800, upsample=1)


def run_liveness(
    challenges: Sequence[str], frames: Sequence[tuple[int, int, bytes]], timeline: Timeline
) -> LivenessOutcome:
    analysis = liveness.analyse(challenges, frames, timeline=timeline)
    ev = analysis.evaluation
    evidence = {
        "challenges": list(challenges),
        "timeline": {"baseline_ms": timeline.baseline_ms, "step_ms": timeline.step_ms},
        "passed": ev.passed,
        "reason": ev.reason,
        "detail": ev.detail,
        "baseline": ev.baseline,
        "steps": ev.steps,
        "frames": ev.frames,
        "best_index": ev.best_index,
        "identity_frames": ev.identity_indices,
        "identity_distances": ev.distances,
    }
    return LivenessOutcome(
        ev.passed, ev.reason, evidence, analysis.digests, analysis.best_jpeg, analysis.best_descriptor
    )


class EmbeddedProvider:
    name = "embedded"

    def describe(self, image: bytes) -> np.ndarray:
        return describe_image(image)

    def analyse_liveness(
        self, challenges: Sequence[str], frames: Sequence[tuple[int, int, bytes]], timeline: Timeline
    ) -> LivenessOutcome:
        return run_liveness(challenges, frames, timeline)

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
        if not references:
            return MatchOutcome("no_reference")
        vec = selfie_descriptor if selfie_descriptor is not None else describe_image(selfie_jpeg)
        sims = {ref.source: faces.similarity(faces.distance(vec, ref.descriptor)) for ref in references}
        decision = "match" if min(sims.values()) >= threshold else "no_match"
        return MatchOutcome(decision, sims)
