"""Shared biometric fixtures: rendered once per test session, kept in memory (models load once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from qaryz.biometrics.engine import liveness, mrz, synth

# Public-domain face photos kept in the repository (see testdata/faces/README.md).
FACES = Path(__file__).resolve().parents[1] / "testdata" / "faces"

TIMELINE = liveness.Timeline()
Frames = list[tuple[int, int, bytes]]


def face_path(name: str) -> Path:
    return FACES / name


@pytest.fixture(scope="session")
def warpers() -> Callable[[str], synth.PoseWarper]:
    cache: dict[str, synth.PoseWarper] = {}

    def get(name: str) -> synth.PoseWarper:
        if name not in cache:
            cache[name] = synth.PoseWarper(synth.face_crop(synth.load_rgb(face_path(name))))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def pose_images(warpers) -> Callable[[str, Sequence[str]], list[np.ndarray]]:
    """RGB video frames of `name` performing `challenges` on the capture page's timeline."""
    renders: dict[tuple[str, str, float], np.ndarray] = {}

    def get(name: str, challenges: Sequence[str]) -> list[np.ndarray]:
        timeline = synth.pose_timeline(
            challenges,
            fps=TIMELINE.fps,
            baseline_s=TIMELINE.baseline_ms / 1000,
            step_s=TIMELINE.step_ms / 1000,
            tail_s=0,
        )
        out = []
        for pose, amount in timeline:
            key = (name, pose, amount)
            if key not in renders:
                renders[key] = warpers(name).render(pose, amount)
            out.append(renders[key])
        return out

    return get


def tag(images: Sequence[np.ndarray], *, seed: int = 0, noise: float = 2.0) -> Frames:
    """(step, t_ms, jpeg) with camera-like noise, frame i at 200 ms * i + 50 ms."""
    rng = np.random.default_rng(seed)
    frames = []
    for i, rgb in enumerate(images):
        t_ms = 50 + i * 1000 // TIMELINE.fps
        step = 0 if t_ms < TIMELINE.baseline_ms else 1 + (t_ms - TIMELINE.baseline_ms) // TIMELINE.step_ms
        noisy = (
            (rgb.astype(np.int16) + rng.integers(-int(noise), int(noise) + 1, rgb.shape))
            .clip(0, 255)
            .astype(np.uint8)
        )
        frames.append((int(step), int(t_ms), synth.jpeg(noisy)))
    return frames


@pytest.fixture(scope="session")
def live_frames(pose_images) -> Callable[..., Frames]:
    def make(challenges: Sequence[str], *, name: str = "obama.jpg", seed: int = 0) -> Frames:
        return tag(pose_images(name, challenges), seed=seed)

    return make


CARD_PERSON = {
    "document_number": "041234567",
    "birth": dt.date(1961, 8, 4),
    "sex": "M",
    "expiry": dt.date(2034, 5, 20),
    "surname": "Обама",
    "given_name": "Барак",
}


def valid_iin(prefix: str) -> str:
    for d in "0123456789":
        if mrz.iin_valid(prefix + d):
            return prefix + d
    raise AssertionError("no control digit")  # pragma: no cover


def card_lines(
    *, iin: str, surname: str = "Обама", given_name: str = "Барак", expiry: dt.date | None = None
) -> list[str]:
    return mrz.build_td1(
        document_number=CARD_PERSON["document_number"],
        birth=CARD_PERSON["birth"],
        sex="M",
        expiry=expiry or CARD_PERSON["expiry"],
        surname=mrz.transliterate(surname),
        given_names=mrz.transliterate(given_name),
        iin=iin,
    )


def card_photo(lines: Sequence[str], *, face: str = "obama2.jpg", seed: int = 0) -> bytes:
    """A phone photo of a greyscale ID card with `face` and the MRZ `lines`."""
    card = synth.render_id_card(synth.load_rgb(face_path(face)), lines, fields=[lines[2][:20]])
    return synth.jpeg(synth.photograph_card(card, seed=seed), quality=90)
