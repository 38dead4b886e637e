"""The cabinet capture page driven for real: Chromium's fake camera plays a warped face clip (R-LIVE-1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from qaryz.access.models import ClientSession
from qaryz.access.services import CLIENT_SESSION_KEY
from qaryz.biometrics.engine import liveness, synth
from qaryz.biometrics.models import FaceReference, Verification

from .conftest import TIMELINE, face_path

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SEQ = ["turn_left", "open_mouth", "turn_right", "look_down"]
CHROMIUM = os.environ.get("QARYZ_CHROMIUM", "/usr/bin/chromium")
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A .y4m of the face performing SEQ on the page's timeline (0.3 s lead absorbs camera start-up)."""
    warper = synth.PoseWarper(synth.face_crop(synth.load_rgb(face_path("obama.jpg"))))
    timeline = [("neutral", 0.0)] * 2 + synth.pose_timeline(
        SEQ, fps=10, baseline_s=TIMELINE.baseline_ms / 1000, step_s=TIMELINE.step_ms / 1000, tail_s=6
    )
    path = tmp_path_factory.mktemp("camera") / "face.y4m"
    synth.write_y4m(path, synth.render_sequence(warper, timeline), fps=10)
    return path


@pytest.fixture(scope="module")
def camera_browser(chromium, clip) -> Iterator[object]:
    """A second Chromium from the same Playwright, with the fake camera playing `clip`."""
    args = [
        *BASE_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield browser
    browser.close()


def login(context, live_server, client) -> None:
    """A live web session of the client, as the access room's login leaves it (login pages skipped)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.create()
    session = ClientSession.objects.create(
        client=client, session_key=store.session_key, last_seen_at=timezone.now()
    )
    store[CLIENT_SESSION_KEY] = session.pk
    store.save()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_server.url}]
    )


@pytest.mark.req("R-LIVE-1", "R-ONB-4")
def test_capture_page_with_fake_camera_passes(
    camera_browser, live_server, transactional_db, monkeypatch, artifacts_dir
) -> None:
    from .test_protocol import card_descriptor, make_client

    client = make_client(face=None)
    FaceReference.objects.create(client=client, source="document", descriptor=card_descriptor())
    monkeypatch.setattr(liveness, "new_sequence", lambda used, **kw: list(SEQ))
    context = camera_browser.new_context(base_url=live_server.url, locale="ru-RU")
    login(context, live_server, client)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/biometrics/verify/?purpose=contract_signing")
    assert page.url.endswith("purpose=contract_signing"), (page.url, page.content()[:3000])
    page.click("#bio-start")
    page.wait_for_selector("#bio-prompt[data-challenge=turn_left]", timeout=15000)
    assert page.inner_text("#bio-prompt") == "Медленно поверните голову влево"
    page.screenshot(path=str(artifacts_dir / "biometrics-verify-capture.png"))
    page.wait_for_selector("#bio[data-result]", timeout=60000)
    page.screenshot(path=str(artifacts_dir / "biometrics-verify-result.png"), full_page=True)
    verification = Verification.objects.get(client=client)
    evidence = verification.session.evidence
    assert page.get_attribute("#bio", "data-result") == "passed", (
        verification.reason,
        evidence.get("detail"),
        errors,
    )
    assert verification.passed and verification.similarity_document >= verification.threshold
    assert [s["performed"] for s in evidence["steps"]] == [True] * len(SEQ)
    assert not any("Content Security Policy" in e for e in errors), errors
    context.close()
