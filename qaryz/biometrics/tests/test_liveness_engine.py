"""Challenge sequences and the geometric liveness decision, on synthetic measurements (R-LIVE-1)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaryz.biometrics.engine import liveness
from qaryz.biometrics.engine.liveness import CHALLENGES, FrameObs, Timeline
from qaryz.biometrics.engine.mesh import Measure

TL = Timeline()
NEUTRAL = Measure(faces=1, yaw=0.02, pitch=0.22, eyes=0.24, mouth=0.05, face_height=200)
POSED = {
    "turn_left": {"yaw": 0.25},
    "turn_right": {"yaw": -0.21},
    "look_up": {"pitch": 0.16},
    "look_down": {"pitch": 0.28},
    "blink": {"eyes": 0.06},
    "open_mouth": {"mouth": 0.5},
}


def posed(challenge: str | None, faces: int = 1) -> Measure:
    values = {**NEUTRAL.__dict__, "faces": faces}
    if challenge:
        values.update(POSED[challenge])
    return Measure(**values)


def frames_for(performed: list[str | None], n_base: int = 7, per_step: int = 10) -> list[FrameObs]:
    out = [FrameObs(0, 50 + 200 * i, posed(None)) for i in range(n_base)]
    for k, movement in enumerate(performed, start=1):
        start = TL.baseline_ms + (k - 1) * TL.step_ms
        for i in range(per_step):
            held = movement if 3 <= i <= 6 else None
            out.append(FrameObs(k, start + 50 + 200 * i, posed(held)))
    return out


sequences = st.lists(st.sampled_from(CHALLENGES), min_size=3, max_size=5).filter(
    lambda s: all(a != b for a, b in zip(s, s[1:], strict=False))
)


@pytest.mark.req("R-LIVE-1")
@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sets(st.sampled_from(["turn_left,blink,look_up", "blink,turn_left,look_up"])),
)
def test_new_sequence_shape(seed: int, used: set[str]) -> None:
    seq = liveness.new_sequence(used, rng=random.Random(seed))
    assert liveness.is_valid_sequence(seq)
    assert liveness.encode(seq) not in used


@pytest.mark.req("R-LIVE-1")
def test_sequences_never_repeat_for_a_client_until_exhaustion() -> None:
    rng = random.Random(7)
    used: set[str] = set()
    for _ in range(600):
        used.add(liveness.encode(liveness.new_sequence(used, rng=rng)))
    assert len(used) == 600


@pytest.mark.req("R-LIVE-1")
@settings(max_examples=200, deadline=None)
@given(sequences)
def test_performed_in_order_passes(seq: list[str]) -> None:
    ev = liveness.evaluate(seq, frames_for(list(seq)))
    assert ev.passed, (ev.reason, ev.detail)
    assert [s["challenge"] for s in ev.steps] == seq and all(s["performed"] for s in ev.steps)
    assert ev.best_index is not None and ev.best_index < 7
    assert len(ev.identity_indices) == len(seq) + 1


@pytest.mark.req("R-LIVE-1")
@settings(max_examples=200, deadline=None)
@given(sequences, st.data())
def test_missing_or_swapped_movement_fails(seq: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(seq) - 1))
    performed: list[str | None] = list(seq)
    performed[k] = None
    ev = liveness.evaluate(seq, frames_for(performed))
    assert not ev.passed and ev.reason == "movement_missing"
    other = data.draw(st.sampled_from([c for c in CHALLENGES if c != seq[k] and c != "blink"]))
    performed[k] = other
    ev = liveness.evaluate(seq, frames_for(performed))
    assert not ev.passed and ev.reason in ("wrong_movement", "movement_missing")


@pytest.mark.req("R-LIVE-1")
def test_wrong_order_is_reported() -> None:
    ev = liveness.evaluate(
        ["turn_left", "turn_right", "open_mouth"], frames_for(["turn_right", "turn_left", "open_mouth"])
    )
    assert (ev.passed, ev.reason) == (False, "wrong_movement")


@pytest.mark.req("R-LIVE-1")
def test_face_count_and_baseline_rules() -> None:
    seq = ["blink", "turn_left", "look_down"]
    frames = frames_for(list(seq))
    two = list(frames)
    two[12] = FrameObs(two[12].step, two[12].t_ms, posed(None, faces=2))
    assert liveness.evaluate(seq, two).reason == "multiple_faces"
    lost = [FrameObs(f.step, f.t_ms, Measure(faces=0)) if i % 2 else f for i, f in enumerate(frames)]
    assert liveness.evaluate(seq, lost).reason == "face_lost"
    turned_start = [
        FrameObs(0, f.t_ms, posed("turn_left")) if f.step == 0 and i == 3 else f for i, f in enumerate(frames)
    ]
    assert liveness.evaluate(seq, turned_start).reason == "no_baseline"
    tiny = [FrameObs(f.step, f.t_ms, Measure(**{**f.measure.__dict__, "face_height": 40})) for f in frames]
    assert liveness.evaluate(seq, tiny).reason == "face_too_small"


@pytest.mark.req("R-LIVE-1")
def test_timeline_rules() -> None:
    seq = ["blink", "turn_left", "look_down"]
    frames = frames_for(list(seq))
    late = list(frames)
    late[-1] = FrameObs(late[-1].step, late[-1].t_ms + 5000, late[-1].measure)
    assert liveness.evaluate(seq, late).reason == "bad_timing"
    shuffled = list(reversed(frames))
    assert liveness.evaluate(seq, shuffled).reason == "bad_timing"
    assert liveness.evaluate(seq, [f for f in frames if f.step != 2]).reason == "too_few_frames"
    unknown = [*frames, FrameObs(9, frames[-1].t_ms, posed(None))]
    assert liveness.evaluate(seq, unknown).reason == "bad_timing"
    assert liveness.evaluate(seq, frames * 10).reason == "too_many_frames"
