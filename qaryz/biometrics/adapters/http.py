"""TsOID / vendor biometric engine over HTTP (JSON contract in docs/biometrics.md).

The challenge protocol (sequence, order, timing, replay, one face, same face) is always checked
locally by the embedded engine; the vendor receives the IIN, the best frame and that evidence and
answers with its own match score and decision, including its presentation-attack detection.

POST {base}/v1/verify   Authorization: Bearer <token>
  request  {"request_id", "iin", "selfie_jpeg": base64, "liveness": {...evidence}, "threshold"}
  response {"request_id", "decision": "match"|"no_match"|"spoof"|"not_found",
            "match_score": 0..100, "reference": "vendor id"}
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence

import httpx
import numpy as np

from ..engine.liveness import Timeline
from ..ports import LivenessOutcome, MatchOutcome, Reference
from .embedded import describe_image, run_liveness

DECISIONS = {"match", "no_match", "spoof", "not_found"}


class HttpProvider:
    name = "http"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("QARYZ_BIOMETRICS_HTTP_URL is not set")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def describe(self, image: bytes) -> np.ndarray:
        return describe_image(image)  # local descriptors feed the 1:N antifraud index

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
        request_id = str(uuid.uuid4())
        payload = {
            "request_id": request_id,
            "iin": iin,
            "selfie_jpeg": base64.b64encode(selfie_jpeg).decode(),
            "liveness": {k: liveness.get(k) for k in ("challenges", "passed", "steps", "identity_distances")},
            "threshold": threshold,
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                resp = http.post(
                    f"{self.base_url}/v1/verify",
                    json=payload,
                    headers={"Authorization": f"Bearer {self.token}"},
                )
            resp.raise_for_status()
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            return MatchOutcome("error", detail=f"{type(exc).__name__}: {exc}"[:200])
        decision = body.get("decision")
        score = body.get("match_score")
        if (
            body.get("request_id") != request_id
            or decision not in DECISIONS
            or not isinstance(score, int | float)
        ):
            return MatchOutcome("error", detail="malformed vendor answer")
        if decision == "not_found":
            decision = "no_reference"
        return MatchOutcome(
            decision, {"vendor": float(score)}, provider_reference=str(body.get("reference", ""))[:100]
        )
