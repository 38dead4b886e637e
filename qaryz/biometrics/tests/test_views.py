"""Cabinet endpoints of the capture page through Django's test client (R-LIVE-1, R-AUTH-5)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from qaryz.access.testing import sign_in_client
from qaryz.biometrics.engine import liveness
from qaryz.biometrics.models import FaceReference, Verification

from .test_protocol import SEQ, card_bytes, make_client

pytestmark = pytest.mark.django_db


def logged_in(client_http, client) -> None:
    sign_in_client(client_http, client)


def multipart(frames, nonce: str, next_url: str = "") -> dict:
    return {
        "nonce": nonce,
        "next": next_url,
        "meta": json.dumps([[s, t] for s, t, _ in frames]),
        "frames": [_file(i, data) for i, (_, _, data) in enumerate(frames)],
    }


def _file(i: int, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"f{i}.jpg", data, content_type="image/jpeg")


def test_page_requires_a_client_and_a_known_purpose(client) -> None:
    assert client.get("/biometrics/verify/?purpose=registration").status_code == 302
    logged_in(client, make_client(face=None))
    assert client.get("/biometrics/verify/?purpose=nonsense").status_code == 400


@pytest.mark.req("R-ONB-8")
def test_page_asks_for_the_card_first_then_offers_the_capture(client) -> None:
    person = make_client(face=None)
    logged_in(client, person)
    page = client.get("/biometrics/verify/?purpose=registration&next=/cabinet/").content.decode()
    assert 'name="card"' in page and "bio-start" not in page
    resp = client.post(
        "/biometrics/document/?purpose=registration&next=/cabinet/",
        {"card": _file(0, card_bytes()), "issue_date": "2024-05-20"},
    )
    assert resp.status_code == 302 and resp["Location"].startswith("/biometrics/verify/?purpose=registration")
    assert FaceReference.objects.filter(client=person, source="document").exists()
    page = client.get("/biometrics/verify/?purpose=registration&next=/cabinet/").content.decode()
    assert 'id="bio-start"' in page and 'data-next="/cabinet/"' in page
    assert "<script>" not in page and "verify.js" in page  # CSP: scripts only from files
    for challenge in liveness.CHALLENGES:
        assert f'data-challenge="{challenge}"' in page


def test_foreign_next_url_is_dropped(client) -> None:
    logged_in(client, make_client())
    page = client.get("/biometrics/verify/?purpose=recovery&next=https://evil.example/").content.decode()
    assert 'data-next=""' in page


@pytest.mark.req("R-LIVE-1", "R-AUTH-5")
def test_start_and_submit_through_the_page_endpoints(client, live_frames, monkeypatch) -> None:
    person = make_client()
    logged_in(client, person)
    monkeypatch.setattr(liveness, "new_sequence", lambda used, **kw: list(SEQ))
    started = client.post(reverse("biometrics:start"), {"purpose": "change_bank"}).json()
    assert started["challenges"] == SEQ and started["baseline_ms"] == 1500 and len(started["nonce"]) >= 40
    frames = live_frames(SEQ, seed=40)
    result = client.post(started["frames_url"], multipart(frames, started["nonce"], "/cabinet/")).json()
    assert result["passed"] and result["next"] == "/cabinet/" and result["similarity"] >= 60
    again = client.post(started["frames_url"], multipart(frames, started["nonce"]))
    assert again.status_code == 400 and again.json()["error"] == "used"
    assert Verification.objects.filter(client=person, purpose="change_bank", passed=True).count() == 1


def test_malformed_submission_is_a_clear_error(client, monkeypatch) -> None:
    logged_in(client, make_client())
    started = client.post(reverse("biometrics:start"), {"purpose": "recovery"}).json()
    resp = client.post(started["frames_url"], {"nonce": started["nonce"], "meta": "[[0, 1]]"})
    assert resp.status_code == 400 and resp.json()["error"] == "bad_timing" and resp.json()["message"]
    assert client.post(reverse("biometrics:start"), {"purpose": "nope"}).json()["error"] == "bad_purpose"


def test_api_refuses_calls_without_client_credentials(client) -> None:
    resp = client.post(
        "/api/v1/biometrics/sessions", {"purpose": "recovery"}, content_type="application/json"
    )
    assert resp.status_code == 401 and resp.json()["error"] == "unauthorized"
    assert client.post("/api/v1/biometrics/document").status_code == 401
