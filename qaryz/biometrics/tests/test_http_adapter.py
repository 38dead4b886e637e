"""TsOID / vendor adapter against a local fake engine speaking the documented JSON contract."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from qaryz.biometrics import services
from qaryz.biometrics.adapters import get_provider
from qaryz.biometrics.adapters.http import HttpProvider
from qaryz.biometrics.engine import faces

from .conftest import face_path
from .test_protocol import IIN, SEQ, make_client, start, submit

TOKEN = "vendor-test-token"


class FakeVendor:
    """Keeps a registry IIN -> reference descriptor (like TsOID's document photos) and scores selfies."""

    def __init__(self) -> None:
        self.registry: dict[str, np.ndarray] = {}
        self.requests: list[dict] = []
        self.mode = "normal"  # "normal" | "garbage" | "spoof"

    def handle(self, body: dict) -> tuple[int, dict]:
        self.requests.append(body)
        if self.mode == "garbage":
            return 200, {"hello": "world"}
        ref = self.registry.get(body["iin"])
        if ref is None:
            return 200, {"request_id": body["request_id"], "decision": "not_found", "match_score": 0}
        selfie = faces.describe(faces.decode_image(base64.b64decode(body["selfie_jpeg"])))
        score = faces.similarity(faces.distance(selfie, ref))
        decision = (
            "spoof" if self.mode == "spoof" else ("match" if score >= body["threshold"] else "no_match")
        )
        return 200, {
            "request_id": body["request_id"],
            "decision": decision,
            "match_score": score,
            "reference": f"tsoid-{len(self.requests)}",
        }


@pytest.fixture
def vendor() -> Iterator[tuple[FakeVendor, str]]:
    state = FakeVendor()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/v1/verify" or self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, payload = 401, {"error": "unauthorized"}
            else:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload = state.handle(body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_provider(settings, vendor):
    state, url = vendor
    settings.BIOMETRICS_PROVIDER = "http"
    settings.BIOMETRICS_HTTP_URL = url
    settings.BIOMETRICS_HTTP_TOKEN = TOKEN
    return state


@pytest.mark.django_db
@pytest.mark.req("R-ONB-4")
def test_provider_is_chosen_in_settings(http_provider) -> None:
    assert isinstance(get_provider(), HttpProvider)


@pytest.mark.django_db
@pytest.mark.req("R-ONB-4", "R-LIVE-1")
def test_vendor_decides_the_match_of_a_live_session(http_provider, live_frames, monkeypatch) -> None:
    from .test_faces import descriptor_of

    http_provider.registry[IIN] = descriptor_of("obama2.jpg")
    client = make_client(face=None)  # the vendor holds the reference photo, not Qaryz
    v = submit(start(client, monkeypatch=monkeypatch), live_frames(SEQ, seed=30))
    assert v.passed and v.provider == "http" and v.provider_reference == "tsoid-1"
    assert v.similarity_document is not None and v.similarity_document >= 60
    sent = http_provider.requests[0]
    assert sent["iin"] == IIN and sent["liveness"]["challenges"] == SEQ and sent["liveness"]["passed"] is True
    assert base64.b64decode(sent["selfie_jpeg"])[:2] == b"\xff\xd8"  # the best frame as JPEG


@pytest.mark.req("R-ONB-4")
def test_vendor_answers_map_to_decisions(vendor) -> None:
    from .test_faces import descriptor_of

    state, url = vendor
    state.registry[IIN] = descriptor_of("obama2.jpg")
    selfie = face_path("obama.jpg").read_bytes()
    impostor = face_path("biden.jpg").read_bytes()

    def ask(provider: HttpProvider, image: bytes, iin: str = IIN):
        return provider.match(
            iin=iin, selfie_jpeg=image, selfie_descriptor=None, references=[], liveness={}, threshold=60.0
        )

    good = HttpProvider(url, TOKEN)
    assert ask(good, selfie).decision == "match"
    assert ask(good, impostor).decision == "no_match"
    assert ask(good, selfie, iin="000000000000").decision == "no_reference"
    state.mode = "spoof"
    assert ask(good, selfie).decision == "spoof"
    state.mode = "garbage"
    assert ask(good, selfie).decision == "error"
    state.mode = "normal"
    assert ask(HttpProvider(url, "wrong-token"), selfie).decision == "error"
    assert (
        ask(HttpProvider("http://127.0.0.1:9", TOKEN, timeout=2), selfie).decision == "error"
    )  # nothing listens
    with pytest.raises(ValueError):
        HttpProvider("", TOKEN)


@pytest.mark.django_db
@pytest.mark.req("R-ONB-4")
def test_vendor_error_fails_the_verification(http_provider, settings, live_frames, monkeypatch) -> None:
    settings.BIOMETRICS_HTTP_TOKEN = "wrong"
    seq = ["turn_right", "open_mouth", "blink"]
    v = submit(start(make_client(face=None), seq, monkeypatch=monkeypatch), live_frames(seq, seed=34))
    assert (v.passed, v.reason) == (False, "provider_error")
    assert services.message_for(v.reason) != v.reason


@pytest.mark.django_db
def test_liveness_failures_never_reach_the_vendor(http_provider, pose_images, monkeypatch) -> None:
    from .conftest import tag

    still = pose_images("obama.jpg", SEQ)[0]
    v = submit(start(make_client(face=None), monkeypatch=monkeypatch), tag([still] * 48, seed=36))
    assert v.reason == "static_image" and http_provider.requests == []
