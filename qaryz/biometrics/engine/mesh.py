"""Per-frame face geometry from the mediapipe 0.10.21 face mesh (478 landmarks with the iris/eyelid
refinement; models in the wheel).

Values are ratios of landmark distances, so they do not depend on the image size. Absolute
pitch is biased by the camera angle, so liveness compares every frame with a neutral baseline.
Image orientation is the raw camera image (not mirrored): when the person turns to their own
left, the nose moves towards the image's right edge and `yaw` grows.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np

# Landmark indices of the canonical mediapipe face mesh.
NOSE_TIP = 1
CHEEK_IMAGE_LEFT, CHEEK_IMAGE_RIGHT = 234, 454  # the person's right / left cheek
FOREHEAD, CHIN = 10, 152
EYE_A = (159, 145, 33, 133)  # upper lid, lower lid, outer corner, inner corner
EYE_B = (386, 374, 263, 362)
MOUTH = (13, 14, 78, 308)  # inner upper lip, inner lower lip, corners
EYE_A_CORNERS, EYE_B_CORNERS = (33, 133), (362, 263)


@dataclass(frozen=True)
class Measure:
    faces: int
    yaw: float = 0.0  # nose position between the cheeks, -0.5..0.5; grows when turning to own left
    pitch: float = 0.0  # nose below the eye line relative to face height; shrinks when looking up
    eyes: float = 0.0  # eye opening / eye width (both eyes averaged)
    mouth: float = 0.0  # inner lip gap / mouth width
    face_height: float = 0.0  # forehead-chin distance in pixels (used to reject tiny faces)

    def as_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


_local = threading.local()


def _mesh() -> object:
    # FaceMesh holds a graph with state: one instance per thread.
    mesh = getattr(_local, "mesh", None)
    if mesh is None:
        from mediapipe.python.solutions import face_mesh

        mesh = face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=2, refine_landmarks=True, min_detection_confidence=0.5
        )
        _local.mesh = mesh
    return mesh


def landmarks(rgb: np.ndarray) -> list[np.ndarray]:
    """One (478, 3) array per face: x, y in pixels, z in pixels (mediapipe scales z like x)."""
    h, w = rgb.shape[:2]
    result = _mesh().process(np.ascontiguousarray(rgb))  # type: ignore[attr-defined]
    faces = []
    for face in result.multi_face_landmarks or []:
        pts = np.array([(p.x * w, p.y * h, p.z * w) for p in face.landmark], dtype=np.float64)
        faces.append(pts)
    return faces


def _dist(p: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(p[a, :2] - p[b, :2]))


def measure_points(p: np.ndarray, faces: int = 1) -> Measure:
    left, right = p[CHEEK_IMAGE_LEFT, 0], p[CHEEK_IMAGE_RIGHT, 0]
    width = max(right - left, 1e-6)
    yaw = (p[NOSE_TIP, 0] - left) / width - 0.5
    height = max(_dist(p, FOREHEAD, CHIN), 1e-6)
    eye_line = (
        p[EYE_A_CORNERS[0], 1] + p[EYE_A_CORNERS[1], 1] + p[EYE_B_CORNERS[0], 1] + p[EYE_B_CORNERS[1], 1]
    ) / 4
    pitch = (p[NOSE_TIP, 1] - eye_line) / height
    eyes = (
        _dist(p, EYE_A[0], EYE_A[1]) / max(_dist(p, EYE_A[2], EYE_A[3]), 1e-6)
        + _dist(p, EYE_B[0], EYE_B[1]) / max(_dist(p, EYE_B[2], EYE_B[3]), 1e-6)
    ) / 2
    mouth = _dist(p, MOUTH[0], MOUTH[1]) / max(_dist(p, MOUTH[2], MOUTH[3]), 1e-6)
    return Measure(
        faces=faces, yaw=float(yaw), pitch=float(pitch), eyes=eyes, mouth=mouth, face_height=height
    )


def measure(rgb: np.ndarray) -> tuple[Measure, np.ndarray | None]:
    """Measurements of the (largest) face and its landmarks; faces=0 or 2 when not exactly one."""
    faces = landmarks(rgb)
    if not faces:
        return Measure(faces=0), None
    main = max(faces, key=lambda p: np.ptp(p[:, 0]) * np.ptp(p[:, 1]))
    return measure_points(main, faces=len(faces)), main
