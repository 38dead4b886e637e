"""Synthetic biometric material for tests, benches and the demo (no Django import).

- `PoseWarper` warps one face photo with its 3-D mediapipe mesh: head turns, nods, blinks, an
  open mouth. Triangles are drawn far-to-near so a turned face occludes itself plausibly.
- `write_y4m` writes frames as YUV4MPEG2 (C420jpeg, BT.601 limited range) for Chromium's fake
  camera (`--use-file-for-fake-video-capture`).
- `render_id_card` draws a greyscale ID card with a photo and a TD1 MRZ (see mrz.py).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import mesh

UPPER_LIDS = [246, 161, 160, 159, 158, 157, 173, 466, 388, 387, 386, 385, 384, 398]
LOWER_LIDS_FOR = {  # upper lid landmark -> lower lid landmark below it
    246: 7,
    161: 163,
    160: 144,
    159: 145,
    158: 153,
    157: 154,
    173: 155,
    466: 249,
    388: 390,
    387: 373,
    386: 374,
    385: 380,
    384: 381,
    398: 382,
}
INNER_LIPS_UPPER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
INNER_LIPS_LOWER = [308, 324, 318, 402, 317, 14, 87, 178, 88, 95, 78]
LOWER_LIP_INNER = [324, 318, 402, 317, 14, 87, 178, 88, 95]
FACE_OVAL = [
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
]

POSES = ("neutral", "turn_left", "turn_right", "look_up", "look_down", "blink", "open_mouth")


def load_rgb(path: str | Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def face_crop(rgb: np.ndarray, size: tuple[int, int] = (640, 480), face_fraction: float = 0.42) -> np.ndarray:
    """Crop/scale a portrait so the face fills `face_fraction` of the frame height (webcam-like)."""
    faces = mesh.landmarks(rgb)
    if not faces:
        raise ValueError("no face in source image")
    p = faces[0]
    x0, y0 = p[:, 0].min(), p[:, 1].min()
    x1, y1 = p[:, 0].max(), p[:, 1].max()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = size
    scale = face_fraction * h / (y1 - y0)
    m = np.float32([[scale, 0, w / 2 - cx * scale], [0, scale, h / 2 - cy * scale]])
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


class PoseWarper:
    """Re-poses one face image by moving its mesh landmarks in 3-D and warping triangle by triangle."""

    def __init__(self, rgb: np.ndarray) -> None:
        faces = mesh.landmarks(rgb)
        if len(faces) != 1:
            raise ValueError("the source image needs exactly one face")
        self.rgb = rgb
        h, w = rgb.shape[:2]
        self.points = faces[0]
        border = [
            (0, 0),
            (w / 2, 0),
            (w - 1, 0),
            (w - 1, h / 2),
            (w - 1, h - 1),
            (w / 2, h - 1),
            (0, h - 1),
            (0, h / 2),
        ]
        # A ring a little outside the face oval keeps the background fixed and lets the head move.
        oval = self.points[FACE_OVAL, :2]
        centre = oval.mean(axis=0)
        ring = centre + (oval - centre) * 1.35
        ring[:, 0] = ring[:, 0].clip(1, w - 2)
        ring[:, 1] = ring[:, 1].clip(1, h - 2)
        self.fixed = np.vstack([np.array(border, dtype=np.float64), ring])
        src = np.vstack([self.points[:, :2], self.fixed])
        subdiv = cv2.Subdiv2D((0, 0, w, h))
        for x, y in src:
            subdiv.insert((float(min(max(x, 0), w - 1)), float(min(max(y, 0), h - 1))))
        lookup = {
            (round(float(x), 1), round(float(y), 1)): i
            for i, (x, y) in enumerate(np.clip(src, [0, 0], [w - 1, h - 1]))
        }
        tris = []
        for t in subdiv.getTriangleList():
            idx = [lookup.get((round(float(t[k]), 1), round(float(t[k + 1]), 1))) for k in (0, 2, 4)]
            if None not in idx:
                tris.append(idx)
        self.triangles = np.array(tris, dtype=np.int32)
        self.src = src.astype(np.float32)

    def _moved(self, pose: str, amount: float) -> np.ndarray:
        p = self.points.copy()
        centre = p.mean(axis=0)
        q = p - centre
        if pose in ("turn_left", "turn_right"):
            # Turning to one's own left brings the nose towards the image's right edge.
            a = math.radians(24 * amount) * (1 if pose == "turn_left" else -1)
            x = q[:, 0] * math.cos(a) - q[:, 2] * math.sin(a)
            z = q[:, 0] * math.sin(a) + q[:, 2] * math.cos(a)
            q[:, 0], q[:, 2] = x, z
        elif pose in ("look_up", "look_down"):
            a = math.radians(18 * amount) * (1 if pose == "look_down" else -1)
            y = q[:, 1] * math.cos(a) - q[:, 2] * math.sin(a)
            z = q[:, 1] * math.sin(a) + q[:, 2] * math.cos(a)
            q[:, 1], q[:, 2] = y, z
        p = q + centre
        if pose == "blink":
            for upper, lower in LOWER_LIDS_FOR.items():
                p[upper, :2] = p[upper, :2] + (p[lower, :2] - p[upper, :2]) * 0.9 * amount
        elif pose == "open_mouth":
            height = np.linalg.norm(self.points[mesh.FOREHEAD, :2] - self.points[mesh.CHIN, :2])
            mouth_y = self.points[mesh.MOUTH[0], 1]
            below = p[:, 1] > mouth_y + 1
            weight = np.zeros(len(p))
            weight[below] = 1.0
            p[:, 1] += weight * 0.12 * height * amount
        return p

    def render(self, pose: str = "neutral", amount: float = 1.0) -> np.ndarray:
        if pose == "neutral" or amount <= 0:
            return self.rgb.copy()
        p = self._moved(pose, amount)
        dst = np.vstack([p[:, :2], self.fixed]).astype(np.float32)
        depth = np.concatenate([p[:, 2], np.full(len(self.fixed), 1e6)])
        out = self.rgb.copy()
        order = np.argsort(-depth[self.triangles].mean(axis=1))  # far (large z) first
        h, w = out.shape[:2]
        for tri in self.triangles[order]:
            s, d = self.src[tri], dst[tri]
            x, y, bw, bh = cv2.boundingRect(d)
            x0, y0 = max(x, 0), max(y, 0)
            x1, y1 = min(x + bw, w), min(y + bh, h)
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            m = cv2.getAffineTransform(s, d - np.float32([x0, y0]))
            patch = cv2.warpAffine(
                self.rgb, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
            )
            mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
            cv2.fillConvexPoly(mask, np.round(d - np.float32([x0, y0])).astype(np.int32), 1)
            region = out[y0:y1, x0:x1]
            region[mask > 0] = patch[mask > 0]
        if pose == "blink" and amount >= 0.5:
            # Closed lids: skin over the eye opening and a dark lash line along the lower lid.
            for upper_ids in (UPPER_LIDS[:7], UPPER_LIDS[7:]):
                lower_ids = [LOWER_LIDS_FOR[i] for i in upper_ids]
                eye = np.vstack(
                    [
                        self.points[[33 if upper_ids[0] == 246 else 263], :2],
                        self.points[upper_ids, :2],
                        self.points[[133 if upper_ids[0] == 246 else 362], :2],
                        self.points[lower_ids[::-1], :2],
                    ]
                )
                below = self.points[lower_ids, :2].mean(axis=0) + np.array(
                    [0, 0.06 * (self.points[mesh.CHIN, 1] - self.points[mesh.FOREHEAD, 1])]
                )
                bx, by = int(below[0]), int(below[1])
                skin = self.rgb[max(by - 2, 0) : by + 3, max(bx - 6, 0) : bx + 7].reshape(-1, 3).mean(axis=0)
                grown = eye.mean(axis=0) + (eye - eye.mean(axis=0)) * 1.25
                cv2.fillPoly(out, [grown.astype(np.int32)], tuple(int(c) for c in skin))
                lid = np.vstack(
                    [self.points[[33 if upper_ids[0] == 246 else 263], :2], self.points[lower_ids, :2]]
                )
                cv2.polylines(out, [lid.astype(np.int32)], False, (35, 25, 25), 2)
        if pose == "open_mouth":
            inner = np.vstack([p[INNER_LIPS_UPPER, :2], p[INNER_LIPS_LOWER, :2]]).astype(np.int32)
            cv2.fillPoly(out, [inner], (40, 18, 20))
        return out


def pose_timeline(
    challenges: Sequence[str], *, fps: int, baseline_s: float, step_s: float, tail_s: float = 4.0
) -> list[tuple[str, float]]:
    """(pose, amount) per video frame matching the capture page's timeline: a neutral baseline, then
    for each challenge window a neutral start, a ramp, a hold and a ramp back."""
    frames: list[tuple[str, float]] = [("neutral", 0.0)] * round(baseline_s * fps)
    n = round(step_s * fps)
    for challenge in challenges:
        for i in range(n):
            t = i / fps / step_s  # 0..1 inside the window
            if t < 0.15 or t > 0.85:
                amount = 0.0
            elif t < 0.25:
                amount = (t - 0.15) / 0.1
            elif t > 0.75:
                amount = (0.85 - t) / 0.1
            else:
                amount = 1.0
            frames.append((challenge, round(amount, 3)))
    frames += [("neutral", 0.0)] * round(tail_s * fps)
    return frames


def render_sequence(warper: PoseWarper, timeline: Iterable[tuple[str, float]]) -> list[np.ndarray]:
    cache: dict[tuple[str, float], np.ndarray] = {}
    out = []
    for key in timeline:
        if key not in cache:
            cache[key] = warper.render(*key)
        out.append(cache[key])
    return out


def write_y4m(path: str | Path, frames: Sequence[np.ndarray], fps: int) -> None:
    h, w = frames[0].shape[:2]
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            fh.write(b"FRAME\n")
            fh.write(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420).tobytes())


# --- synthetic ID card -----------------------------------------------------------------------

MONO_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = MONO_FONTS[1 if bold else 0]
    if Path(path).exists():
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def render_id_card(
    photo_rgb: np.ndarray, mrz_lines: Sequence[str], *, fields: Sequence[str] = (), width: int = 1012
) -> np.ndarray:
    """Greyscale ID-1 card (85.6 x 54 mm proportions) with a photo, text fields and the MRZ."""
    height = round(width * 54 / 85.6)
    card = Image.new("L", (width, height), 236)
    draw = ImageDraw.Draw(card)
    draw.rectangle([8, 8, width - 9, height - 9], outline=120, width=3)
    draw.text((30, 22), "KAZAKHSTAN  IDENTITY CARD", fill=40, font=_font(30, bold=True))
    photo = Image.fromarray(photo_rgb).convert("L")
    ph = round(height * 0.5)
    pw = round(ph * 0.78)
    photo = photo.resize((pw, round(photo.height * pw / photo.width)))
    photo = photo.crop((0, 0, pw, min(ph, photo.height)))
    card.paste(photo, (30, 70))
    for i, line in enumerate(fields):
        draw.text((pw + 60, 80 + i * 40), line, fill=30, font=_font(26))
    font = _font(34)
    line_h = 44
    top = height - 20 - line_h * len(mrz_lines)
    draw.rectangle([16, top - 10, width - 17, height - 14], fill=246)
    for i, line in enumerate(mrz_lines):
        draw.text((40, top + i * line_h), line, fill=0, font=font)
    return np.asarray(card)


def photograph_card(
    card: np.ndarray,
    *,
    angle: float = 3.0,
    background: int = 90,
    margin: int = 80,
    noise: float = 4.0,
    seed: int = 0,
) -> np.ndarray:
    """The card as a phone photo: on a darker table, slightly rotated, with sensor noise."""
    h, w = card.shape[:2]
    canvas = np.full((h + 2 * margin, w + 2 * margin), background, dtype=np.uint8)
    canvas[margin : margin + h, margin : margin + w] = card
    m = cv2.getRotationMatrix2D((canvas.shape[1] / 2, canvas.shape[0] / 2), angle, 1.0)
    rotated = cv2.warpAffine(canvas, m, (canvas.shape[1], canvas.shape[0]), borderValue=background)
    rng = np.random.default_rng(seed)
    noisy = rotated.astype(np.float32) + rng.normal(0, noise, rotated.shape)
    grey = noisy.clip(0, 255).astype(np.uint8)
    return np.stack([grey] * 3, axis=-1)
