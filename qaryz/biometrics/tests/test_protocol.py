"""The liveness session protocol end to end through the services (R-LIVE-1, R-AUTH-5, R-ONB-4, R-ARCH-1)."""

from __future__ import annotations

import datetime as dt
import io
from functools import cache

import numpy as np
import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from qaryz.biometrics import selectors, services
from qaryz.biometrics.engine import faces, liveness, synth
from qaryz.biometrics.models import FaceReference, LivenessSession, Verification
from qaryz.clients.models import Client

from .conftest import TIMELINE, card_lines, card_photo, tag, valid_iin

pytestmark = pytest.mark.django_db
SEQ = ["turn_left", "blink", "look_up", "open_mouth"]
IIN = valid_iin("61080430012")


@cache
def card_bytes(face: str = "obama2.jpg") -> bytes:
    return card_photo(card_lines(iin=IIN), face=face)


@cache
def card_descriptor(face: str = "obama2.jpg") -> bytes:
    return faces.to_bytes(
        faces.describe(faces.decode_image(card_bytes(face), max_side=1600), side=1000, upsample=1)
    )


def make_client(
    iin: str = IIN, phone: str = "+77011234567", *, face: str | None = "obama2.jpg", **extra
) -> Client:
    client = Client.objects.create(
        kind="individual", iin=iin, surname="Обама", given_name="Барак", phone=phone, **extra
    )
    if face:
        FaceReference.objects.create(client=client, source="document", descriptor=card_descriptor(face))
    return client


def start(
    client: Client, seq: list[str] = SEQ, purpose: str = "contract_signing", monkeypatch=None
) -> LivenessSession:
    monkeypatch.setattr(liveness, "new_sequence", lambda used, **kw: list(seq))
    session = services.start_session(client, purpose)
    monkeypatch.undo()
    return session


def submit(session: LivenessSession, frames, nonce: str | None = None) -> Verification:
    return services.submit_frames(
        session.pk, client=session.client, nonce=nonce or session.nonce, frames=frames
    )


@pytest.mark.req("R-LIVE-1", "R-ONB-4")
def test_live_client_passes_and_matches_the_document(live_frames, monkeypatch) -> None:
    client = make_client()
    session = start(client, monkeypatch=monkeypatch)
    v = submit(session, live_frames(SEQ))
    assert v.passed, (
        v.reason,
        session.evidence if session.evidence else LivenessSession.objects.get(pk=session.pk).evidence,
    )
    assert v.similarity_document is not None and v.similarity_document >= v.threshold == 60.0
    session.refresh_from_db()
    assert session.status == "passed"
    ev = session.evidence
    assert ev["challenges"] == SEQ and len(ev["frames"]) == len(live_frames(SEQ))
    assert [s["performed"] for s in ev["steps"]] == [True] * 4 and ev["match"]["decision"] == "match"
    assert selectors.fresh_verification(client, "contract_signing") == v
    assert selectors.fresh_verification(client, "change_phone") is None


@pytest.mark.req("R-ARCH-1", "R-LIVE-1")
def test_evidence_goes_to_the_vault_and_decisions_are_audited(live_frames, monkeypatch) -> None:
    import json
    import zipfile

    from qaryz.records.models import AuditEvent, StoredDocument
    from qaryz.records.services import read_document

    client = make_client()
    session = start(client, monkeypatch=monkeypatch)
    frames = live_frames(SEQ, seed=16)
    v = submit(session, frames)
    session.refresh_from_db()
    stored = json.loads(read_document(StoredDocument.objects.get(pk=session.evidence_document)))
    assert (
        stored["challenges"] == SEQ
        and stored["decision"] == "passed"
        and len(stored["frames"]) == len(frames)
    )
    assert read_document(StoredDocument.objects.get(pk=v.best_frame_document))[:2] == b"\xff\xd8"
    archive = StoredDocument.objects.get(kind="biometric_frames", owner_id=str(client.pk))
    with zipfile.ZipFile(io.BytesIO(read_document(archive))) as zf:
        assert len(zf.namelist()) == len(frames)
    actions = list(
        AuditEvent.objects.filter(target_id__in=[str(session.pk), str(v.pk)]).values_list("action", flat=True)
    )
    assert "biometrics.session_started" in actions and "biometrics.verification_passed" in actions
    bad = submit(
        start(client, ["blink", "look_down", "turn_left"], monkeypatch=monkeypatch), live_frames(SEQ, seed=17)
    )
    event = AuditEvent.objects.get(action="biometrics.verification_failed", target_id=str(bad.pk))
    assert event.category == "security"


@pytest.mark.req("R-LIVE-1", "R-AUTH-5")
def test_verification_is_consumed_once_and_goes_stale(live_frames, monkeypatch) -> None:
    client = make_client()
    v = submit(start(client, monkeypatch=monkeypatch), live_frames(SEQ))
    assert v.passed
    services.consume_verification(v)
    assert selectors.fresh_verification(client, "contract_signing") is None
    with pytest.raises(services.BiometricsError) as exc:
        services.consume_verification(v)
    assert exc.value.code == "already_consumed"
    Verification.objects.filter(pk=v.pk).update(consumed_at=None)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=901)):
        assert selectors.fresh_verification(client, "contract_signing") is None
        assert selectors.fresh_verification(client, "contract_signing", within_seconds=1000) is not None


@pytest.mark.req("R-LIVE-1")
def test_static_photo_attack_fails(live_frames, pose_images, monkeypatch) -> None:
    client = make_client()
    still = pose_images("obama.jpg", SEQ)[0]
    frames = tag([still] * len(pose_images("obama.jpg", SEQ)), seed=3)
    v = submit(start(client, monkeypatch=monkeypatch), frames)
    assert (v.passed, v.reason) == (False, "static_image")


@pytest.mark.req("R-LIVE-1")
def test_photo_moved_in_front_of_the_camera_fails(pose_images, monkeypatch) -> None:
    """A printed photo shifted and tilted in the image plane shows no head movement."""
    import cv2

    still = pose_images("obama.jpg", SEQ)[0]
    h, w = still.shape[:2]
    images = []
    for i in range(len(pose_images("obama.jpg", SEQ))):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 4 * np.sin(i / 3), 1.0 + 0.03 * np.cos(i / 4))
        m[0, 2] += 12 * np.sin(i / 2)
        images.append(cv2.warpAffine(still, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    v = submit(start(make_client(), monkeypatch=monkeypatch), tag(images, seed=4))
    assert (v.passed, v.reason) == (False, "movement_missing")


@pytest.mark.req("R-LIVE-1")
def test_wrong_order_fails(live_frames, monkeypatch) -> None:
    v = submit(
        start(make_client(), monkeypatch=monkeypatch),
        live_frames(["look_up", "blink", "turn_left", "open_mouth"]),
    )
    assert (v.passed, v.reason) == (False, "wrong_movement")


@pytest.mark.req("R-LIVE-1")
def test_missing_movement_fails(live_frames, pose_images, monkeypatch) -> None:
    images = pose_images("obama.jpg", SEQ)
    n_base = TIMELINE.baseline_ms * TIMELINE.fps // 1000
    per_step = TIMELINE.step_ms * TIMELINE.fps // 1000
    images = list(images)
    images[n_base + 2 * per_step : n_base + 3 * per_step] = [images[0]] * per_step  # no look_up
    v = submit(start(make_client(), monkeypatch=monkeypatch), tag(images, seed=5))
    assert (v.passed, v.reason) == (False, "movement_missing")
    assert LivenessSession.objects.get(pk=v.session_id).evidence["detail"] == "step 3: look_up"


@pytest.mark.req("R-LIVE-1", "R-AUTH-5")
def test_frames_replayed_from_another_session_fail(live_frames, monkeypatch) -> None:
    client = make_client()
    frames = live_frames(SEQ, seed=11)
    assert submit(start(client, monkeypatch=monkeypatch), frames).passed
    # Same sequence is never drawn twice for a client: force it for another client.
    other = make_client(valid_iin("72020230012"), "+77017654321")
    v = submit(start(other, monkeypatch=monkeypatch), frames)
    assert (v.passed, v.reason) == (False, "replayed_frames")


@pytest.mark.req("R-LIVE-1", "R-AUTH-5")
def test_session_is_single_use_and_bound_to_its_nonce(live_frames, monkeypatch) -> None:
    client = make_client()
    session = start(client, monkeypatch=monkeypatch)
    with pytest.raises(services.BiometricsError) as exc:
        submit(session, live_frames(SEQ, seed=12), nonce="forged-nonce")
    assert exc.value.code == "nonce_mismatch"
    assert submit(session, live_frames(SEQ, seed=13)).passed
    with pytest.raises(services.BiometricsError) as exc:
        submit(session, live_frames(SEQ, seed=14))
    assert exc.value.code == "used"
    intruder = make_client(valid_iin("72020230012"), "+77017654321")
    with pytest.raises(services.BiometricsError) as exc:
        services.submit_frames(session.pk, client=intruder, nonce=session.nonce, frames=[])
    assert exc.value.code == "not_found"


@pytest.mark.req("R-LIVE-1", "R-AUTH-5")
def test_expired_session_is_refused(live_frames, monkeypatch) -> None:
    session = start(make_client(), monkeypatch=monkeypatch)
    assert (session.expires_at - session.created_at).total_seconds() < 120
    with (
        time_machine.travel(session.expires_at + dt.timedelta(seconds=1)),
        pytest.raises(services.BiometricsError) as exc,
    ):
        submit(session, live_frames(SEQ, seed=15))
    assert exc.value.code == "expired"
    session.refresh_from_db()
    assert session.status == "expired"


@pytest.mark.req("R-LIVE-1")
def test_two_faces_in_the_picture_fail(pose_images, monkeypatch) -> None:
    intruder = synth.face_crop(synth.load_rgb(synth_path("biden.jpg")), size=(220, 165), face_fraction=0.6)
    images = []
    for img in pose_images("obama.jpg", SEQ):
        img = img.copy()
        img[-165:, -220:] = intruder
        images.append(img)
    v = submit(start(make_client(), monkeypatch=monkeypatch), tag(images, seed=6))
    assert (v.passed, v.reason) == (False, "multiple_faces")


@pytest.mark.req("R-LIVE-1")
def test_face_swapped_mid_session_fails(pose_images, monkeypatch) -> None:
    a, b = pose_images("obama.jpg", SEQ), pose_images("biden.jpg", SEQ)
    n_base = TIMELINE.baseline_ms * TIMELINE.fps // 1000
    per_step = TIMELINE.step_ms * TIMELINE.fps // 1000
    cut = n_base + 2 * per_step  # the last two challenges are performed by someone else
    v = submit(start(make_client(), monkeypatch=monkeypatch), tag(list(a[:cut]) + list(b[cut:]), seed=7))
    assert (v.passed, v.reason) == (False, "identity_changed")


@pytest.mark.req("R-ONB-4")
def test_impostor_with_perfect_movements_does_not_match(live_frames, monkeypatch) -> None:
    client = make_client(face="biden.jpg")
    v = submit(start(client, monkeypatch=monkeypatch), live_frames(SEQ, seed=8))
    assert (v.passed, v.reason) == (False, "no_match")
    assert v.similarity_document is not None and v.similarity_document < 20
    assert selectors.fresh_verification(client, "contract_signing") is None
    with pytest.raises(services.BiometricsError):
        services.consume_verification(v)


@pytest.mark.req("R-ONB-4")
def test_without_a_document_photo_there_is_nothing_to_match(live_frames, monkeypatch) -> None:
    v = submit(start(make_client(face=None), monkeypatch=monkeypatch), live_frames(SEQ, seed=9))
    assert (v.passed, v.reason) == (False, "no_reference")


@pytest.mark.req("R-ONB-4", "R-ONB-8")
def test_registration_keeps_the_selfie_as_second_reference(live_frames, monkeypatch) -> None:
    client = make_client()
    assert submit(
        start(client, purpose="registration", monkeypatch=monkeypatch), live_frames(SEQ, seed=20)
    ).passed
    assert FaceReference.objects.filter(client=client, source="registration", active=True).count() == 1
    seq2 = ["open_mouth", "turn_right", "look_down"]
    v = submit(start(client, seq2, monkeypatch=monkeypatch), live_frames(seq2, seed=21))
    assert v.passed and v.similarity_registration is not None and v.similarity_registration > 90
    assert v.similarity == min(v.similarity_document, v.similarity_registration)


@pytest.mark.req("R-LIVE-1")
def test_sequences_are_random_and_never_reused_per_client() -> None:
    client = make_client()
    seqs = [services.start_session(client, "recovery").challenge_list for _ in range(25)]
    assert len({",".join(s) for s in seqs}) == 25
    assert all(liveness.is_valid_sequence(s) for s in seqs)
    assert len({len(s) for s in seqs}) > 1 and len({s[0] for s in seqs}) > 1
    with pytest.raises(IntegrityError):
        LivenessSession.objects.create(
            client=client,
            purpose="recovery",
            challenges=",".join(seqs[0]),
            nonce="x",
            baseline_ms=1,
            step_ms=1,
            expires_at=timezone.now() + dt.timedelta(minutes=1),
        )


def test_unknown_purpose_is_refused() -> None:
    with pytest.raises(services.BiometricsError) as exc:
        services.start_session(make_client(), "buy_a_car")
    assert exc.value.code == "bad_purpose"


@pytest.mark.req("R-ONB-8", "R-ONB-9")
def test_document_enrolment_reads_mrz_and_keeps_the_face() -> None:
    client = make_client(face=None)
    ref = services.enrol_document(client, card_bytes(), today=dt.date(2026, 1, 1))
    assert ref.source == "document" and ref.mrz["iin"] == IIN and ref.mrz["valid"]
    assert all(ref.comparison.values()), ref.comparison
    assert selectors.document_reference(client) == ref
    with pytest.raises(services.BiometricsError) as exc:  # a card of somebody else's data
        services.enrol_document(
            make_client(valid_iin("72020230012"), "+77017654321", face=None),
            card_bytes(),
            today=dt.date(2026, 1, 1),
        )
    assert exc.value.code == "document_mismatch"
    with pytest.raises(services.BiometricsError) as exc:
        services.enrol_document(client, card_bytes(), today=dt.date(2035, 1, 1))
    assert exc.value.code == "document_expired"


@pytest.mark.req("R-ONB-9")
def test_document_with_tampered_check_digit_is_rejected() -> None:
    lines = card_lines(iin=IIN)
    lines[1] = lines[1][:14] + str((int(lines[1][14]) + 3) % 10) + lines[1][15:]  # expiry check digit
    client = make_client(face=None)
    with pytest.raises(services.BiometricsError) as exc:
        services.enrol_document(client, card_photo(lines), today=dt.date(2026, 1, 1))
    assert exc.value.code == "mrz_invalid" and "expiry_date" in exc.value.detail
    assert selectors.document_reference(client) is None


@pytest.mark.req("R-AF-1")
def test_same_face_under_another_iin_is_found() -> None:
    first = make_client(status="confirmed")
    second = make_client(valid_iin("72020230012"), "+77017654321")
    hits = selectors.same_face_for_client(second)
    assert [h.key for h in hits] == [first.pk]
    assert selectors.same_face_for_client(first) == []  # the second is not confirmed yet
    third = make_client(valid_iin("80030330012"), "+77019998877", face="biden.jpg", status="confirmed")
    assert selectors.same_face_for_client(third) == []


def synth_path(name: str):
    from .conftest import face_path

    return face_path(name)


def test_engine_failure_ends_the_session_with_a_reason(live_frames, monkeypatch) -> None:
    from qaryz.biometrics.adapters import embedded

    session = start(make_client(), monkeypatch=monkeypatch)

    def boom(*args, **kwargs):
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(embedded, "run_liveness", boom)
    v = submit(session, live_frames(SEQ, seed=18))
    assert (v.passed, v.reason) == (False, "provider_error")
    session.refresh_from_db()
    assert session.status == "failed"
