"""Active liveness: random movement challenges and the evaluation of the captured frames (R-LIVE-1).

The server draws 3-5 challenges (no two consecutive equal, never a sequence the client has had
before) and a timeline: a neutral baseline window, then one window per challenge. The client tags
every frame with its window (`step`: 0 baseline, 1..n challenges) and its time since the start.
`evaluate` decides from per-frame mesh measurements only (pure, property-tested); `analyse` runs
the whole pipeline on image bytes (decode, mesh, still-image check, identity across frames).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import faces
from .mesh import Measure

CHALLENGES = ("turn_left", "turn_right", "look_up", "look_down", "blink", "open_mouth")
# Blinking is involuntary: it never counts as a wrong movement.
POSE_CHALLENGES = ("turn_left", "turn_right", "look_up", "look_down", "open_mouth")

REASONS = {
    "too_few_frames": "Too few frames were captured.",
    "too_many_frames": "Too many frames were submitted.",
    "bad_timing": "Frames do not fit the session timeline.",
    "bad_image": "A frame is not a readable image.",
    "no_baseline": "No neutral frontal frame at the start.",
    "multiple_faces": "More than one face is in the picture.",
    "face_lost": "The face was not visible in too many frames.",
    "face_too_small": "The face is too far from the camera.",
    "static_image": "The picture does not change: a photo is not accepted.",
    "movement_missing": "A requested movement was not performed in its time window.",
    "wrong_movement": "A different movement than requested was performed (wrong order).",
    "identity_changed": "The face changed during the session.",
    "replayed_frames": "Frames of another session were submitted.",
}


@dataclass(frozen=True)
class Thresholds:
    turn: float = 0.10  # yaw change (nose position between the cheeks)
    pitch: float = 0.035  # nose height change relative to face height
    blink: float = 0.6  # eye opening below this share of the baseline
    mouth: float = 0.15  # inner lip gap / mouth width above the baseline
    strong: float = 1.6  # a movement this many times over its threshold is a deliberate one
    max_missing: float = 0.25  # share of frames allowed without a face (fast turns, motion blur)
    min_face_height: float = 80.0  # px from forehead to chin
    same_face_distance: float = 0.6  # descriptor distance between frames of one session


@dataclass(frozen=True)
class Timeline:
    baseline_ms: int = 1500
    step_ms: int = 2000
    tolerance_ms: int = 500
    fps: int = 5

    def window(self, step: int) -> tuple[int, int]:
        if step == 0:
            return 0, self.baseline_ms
        start = self.baseline_ms + (step - 1) * self.step_ms
        return start, start + self.step_ms

    def total_ms(self, n: int) -> int:
        return self.baseline_ms + n * self.step_ms


def new_sequence(
    used: Collection[str] = (), *, rng: random.Random | None = None, min_len: int = 3, max_len: int = 5
) -> list[str]:
    """A random challenge sequence whose encoding is not in `used` (the client's earlier ones)."""
    rng = rng or random.SystemRandom()
    for _ in range(1000):
        seq = [rng.choice(CHALLENGES)]
        for _ in range(rng.randint(min_len, max_len) - 1):
            seq.append(rng.choice([c for c in CHALLENGES if c != seq[-1]]))
        if encode(seq) not in used:
            return seq
    raise RuntimeError("no unused challenge sequence left")  # 4,650 exist; practically unreachable


def encode(seq: Sequence[str]) -> str:
    return ",".join(seq)


def is_valid_sequence(seq: Sequence[str]) -> bool:
    return (
        3 <= len(seq) <= 5
        and all(c in CHALLENGES for c in seq)
        and all(a != b for a, b in zip(seq, seq[1:], strict=False))
    )


@dataclass(frozen=True)
class FrameObs:
    """One submitted frame after measurement."""

    step: int
    t_ms: int
    measure: Measure


@dataclass
class Evaluation:
    passed: bool
    reason: str = ""
    detail: str = ""
    steps: list[dict] = field(default_factory=list)
    baseline: dict = field(default_factory=dict)
    best_index: int | None = None  # most frontal baseline frame: the selfie for the 1:1 match
    identity_indices: list[int] = field(default_factory=list)  # frames whose descriptors must agree
    frames: list[dict] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)

    def fail(self, reason: str, detail: str = "") -> Evaluation:
        self.passed, self.reason, self.detail = False, reason, detail
        return self


def movement_strengths(m: Measure, base: Measure, th: Thresholds) -> dict[str, float]:
    """How far each movement is over its threshold (1.0 = just performed), relative to the baseline."""
    dyaw, dpitch = m.yaw - base.yaw, m.pitch - base.pitch
    return {
        "turn_left": dyaw / th.turn,
        "turn_right": -dyaw / th.turn,
        "look_up": -dpitch / th.pitch,
        "look_down": dpitch / th.pitch,
        "blink": (1 - m.eyes / max(base.eyes, 1e-6)) / (1 - th.blink),
        "open_mouth": (m.mouth - base.mouth) / th.mouth,
    }


def _median_measure(ms: Sequence[Measure]) -> Measure:
    return Measure(
        faces=1,
        yaw=float(np.median([m.yaw for m in ms])),
        pitch=float(np.median([m.pitch for m in ms])),
        eyes=float(np.median([m.eyes for m in ms])),
        mouth=float(np.median([m.mouth for m in ms])),
        face_height=float(np.median([m.face_height for m in ms])),
    )


def evaluate(
    challenges: Sequence[str],
    frames: Sequence[FrameObs],
    *,
    timeline: Timeline = Timeline(),
    th: Thresholds = Thresholds(),
    max_frames: int = 120,
) -> Evaluation:
    """Geometric decision: every challenge performed in order, inside its own window."""
    ev = Evaluation(passed=False)
    ev.frames = [{"step": f.step, "t_ms": f.t_ms, **f.measure.as_dict()} for f in frames]
    n = len(challenges)
    if len(frames) > max_frames:
        return ev.fail("too_many_frames")
    by_step: dict[int, list[int]] = {k: [] for k in range(n + 1)}
    last_t = -1
    for i, f in enumerate(frames):
        if f.step not in by_step:
            return ev.fail("bad_timing", f"frame {i}: unknown step {f.step}")
        start, end = timeline.window(f.step)
        if not (start - timeline.tolerance_ms <= f.t_ms <= end + timeline.tolerance_ms) or f.t_ms < last_t:
            return ev.fail("bad_timing", f"frame {i}: t={f.t_ms} ms outside step {f.step}")
        last_t = f.t_ms
        by_step[f.step].append(i)
    if len(by_step[0]) < 2 or any(len(by_step[k]) < 3 for k in range(1, n + 1)):
        return ev.fail("too_few_frames")
    if any(f.measure.faces > 1 for f in frames):
        return ev.fail("multiple_faces")
    missing = sum(1 for f in frames if f.measure.faces == 0)
    if missing > th.max_missing * len(frames):
        return ev.fail("face_lost", f"{missing}/{len(frames)} frames without a face")
    base_frames = [i for i in by_step[0] if frames[i].measure.faces == 1]
    if len(base_frames) < 2:
        return ev.fail("no_baseline")
    base = _median_measure([frames[i].measure for i in base_frames])
    ev.baseline = base.as_dict()
    if base.face_height < th.min_face_height:
        return ev.fail("face_too_small")
    # The baseline must itself be neutral: no movement already under way.
    for i in base_frames:
        s = movement_strengths(frames[i].measure, base, th)
        if max(s[c] for c in POSE_CHALLENGES) >= 1.0:
            return ev.fail("no_baseline", f"frame {i} is not neutral")
    ev.best_index = min(
        base_frames,
        key=lambda i: abs(frames[i].measure.yaw - base.yaw) + abs(frames[i].measure.pitch - base.pitch),
    )
    ev.identity_indices = [ev.best_index]
    for k, challenge in enumerate(challenges, start=1):
        idx = [i for i in by_step[k] if frames[i].measure.faces == 1]
        step = {"step": k, "challenge": challenge, "performed": False, "peak": 0.0, "frame": None}
        ev.steps.append(step)
        for i in idx:
            s = movement_strengths(frames[i].measure, base, th)
            wrong = [c for c in POSE_CHALLENGES if c != challenge and s[c] >= th.strong]
            if wrong and not step["performed"]:
                return ev.fail("wrong_movement", f"step {k}: {wrong[0]} instead of {challenge}")
            if s[challenge] > step["peak"]:
                step["peak"] = round(s[challenge], 3)
                step["frame"] = i
            if s[challenge] >= 1.0:
                step["performed"] = True
        if not step["performed"]:
            return ev.fail("movement_missing", f"step {k}: {challenge}")
        if idx:  # the most frontal frame of the window joins the identity check
            frontal = min(idx, key=lambda i: max(movement_strengths(frames[i].measure, base, th).values()))
            ev.identity_indices.append(frontal)
    ev.passed = True
    return ev


def thumb_signature(rgb: np.ndarray) -> np.ndarray:
    """32x32 grey thumbnail: frames of a live camera differ, a replayed still does not."""
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).convert("L").resize((64, 48), Image.BILINEAR), dtype=np.float32)


def changed_share(a: np.ndarray, b: np.ndarray, level: float = 12.0) -> float:
    """Share of thumbnail pixels that changed clearly (more than sensor noise and JPEG artefacts)."""
    return float((np.abs(a - b) > level).mean())


def is_static(signatures: Sequence[np.ndarray], min_share: float = 0.004) -> bool:
    first = signatures[0]
    return max(changed_share(first, s) for s in signatures) < min_share


def frame_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Analysis:
    evaluation: Evaluation
    digests: list[str]
    best_jpeg: bytes | None = None
    best_descriptor: np.ndarray | None = None


def analyse(
    challenges: Sequence[str],
    frames: Sequence[tuple[int, int, bytes]],
    *,
    timeline: Timeline = Timeline(),
    th: Thresholds = Thresholds(),
    measure: Callable[[np.ndarray], tuple[Measure, object]] | None = None,
) -> Analysis:
    """Full check of (step, t_ms, image bytes) frames: geometry, still image, same face throughout."""
    from . import mesh

    measure = measure or mesh.measure
    digests = [frame_digest(data) for _, _, data in frames]
    obs: list[FrameObs] = []
    rgbs: list[np.ndarray] = []
    for step, t_ms, data in frames:
        try:
            rgb = faces.decode_image(data, max_side=960)
        except faces.FaceError:
            ev = Evaluation(passed=False).fail("bad_image")
            return Analysis(ev, digests)
        rgbs.append(rgb)
        m, _ = measure(rgb)
        obs.append(FrameObs(step=step, t_ms=t_ms, measure=m))
    ev = evaluate(challenges, obs, timeline=timeline, th=th)
    result = Analysis(ev, digests)
    if rgbs and is_static([thumb_signature(r) for r in rgbs]):
        ev.fail("static_image")
        return result
    if not ev.passed or ev.best_index is None:
        return result
    descriptors = []
    for i in ev.identity_indices:
        try:
            descriptors.append(faces.describe(rgbs[i], side=faces.SELFIE_DETECT_SIDE))
        except faces.FaceError:
            ev.fail("face_lost", f"frame {i}: no face for the identity check")
            return result
    ev.distances = [round(faces.distance(descriptors[0], d), 4) for d in descriptors[1:]]
    if any(d > th.same_face_distance for d in ev.distances):
        ev.fail("identity_changed", f"distances {ev.distances}")
        return result
    result.best_descriptor = descriptors[0]
    result.best_jpeg = frames[ev.best_index][2]
    return result
