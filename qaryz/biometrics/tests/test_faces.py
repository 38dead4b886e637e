"""1:1 face match on the public-domain fixtures and the 1:N antifraud index (R-ONB-9, R-AF-1)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaryz.biometrics.engine import faces, synth
from qaryz.biometrics.engine.index import FaceIndex

from .conftest import card_lines, card_photo, face_path, valid_iin

THRESHOLD = 60.0  # the default QARYZ_BIOMETRICS_MATCH_THRESHOLD
GENUINE = [("obama.jpg", "obama2.jpg"), ("obama.jpg", "obama3.jpg"), ("obama2.jpg", "obama3.jpg")]
IMPOSTOR = [
    ("obama.jpg", "biden.jpg"),
    ("obama.jpg", "astronaut.png"),
    ("biden.jpg", "astronaut.png"),
    ("obama2.jpg", "biden.jpg"),
    ("obama3.jpg", "astronaut.png"),
]


@cache
def descriptor_of(name: str) -> np.ndarray:
    return faces.describe(faces.decode_image(face_path(name).read_bytes()), side=800, upsample=1)


@pytest.mark.req("R-ONB-9")
@pytest.mark.parametrize(("a", "b"), GENUINE)
def test_genuine_pairs_match(a: str, b: str) -> None:
    sim = faces.similarity(faces.distance(descriptor_of(a), descriptor_of(b)))
    assert sim >= THRESHOLD, sim


@pytest.mark.req("R-ONB-9")
@pytest.mark.parametrize(("a", "b"), IMPOSTOR)
def test_impostor_pairs_do_not_match(a: str, b: str) -> None:
    sim = faces.similarity(faces.distance(descriptor_of(a), descriptor_of(b)))
    assert sim < THRESHOLD / 4, sim


@pytest.mark.req("R-ONB-9")
def test_false_face_patch_is_filtered_and_largest_face_kept() -> None:
    rgb = faces.decode_image(face_path("astronaut.png").read_bytes())
    raw = faces.detect(rgb, upsample=1, min_score=-0.5)
    kept = faces.detect(rgb, upsample=1)
    assert len(raw) > len(kept) == 1
    box = kept[0]
    assert 150 < (box.left + box.right) / 2 < 300 and box.top < 150  # the head, not the suit


@pytest.mark.req("R-ONB-9")
def test_greyscale_card_photo_matches_the_selfie_not_an_impostor() -> None:
    card = faces.decode_image(card_photo(card_lines(iin=valid_iin("61080430012"))), max_side=1600)
    ref = faces.describe(card, side=1000, upsample=1)
    assert faces.similarity(faces.distance(ref, descriptor_of("obama.jpg"))) >= THRESHOLD
    assert faces.similarity(faces.distance(ref, descriptor_of("biden.jpg"))) < THRESHOLD / 4


@pytest.mark.req("R-ONB-9")
def test_no_face_and_unreadable_image() -> None:
    with pytest.raises(faces.FaceError) as exc:
        faces.describe(np.full((240, 320, 3), 128, dtype=np.uint8))
    assert exc.value.code == "no_face"
    with pytest.raises(faces.FaceError) as exc:
        faces.decode_image(b"not an image")
    assert exc.value.code == "bad_image"


@pytest.mark.req("R-ONB-9")
@settings(max_examples=200, deadline=None)
@given(st.floats(0, 2), st.floats(0, 2))
def test_similarity_is_a_decreasing_percentage(d1: float, d2: float) -> None:
    s1, s2 = faces.similarity(d1), faces.similarity(d2)
    assert 0 <= s1 <= 100 and 0 <= s2 <= 100
    if d1 < d2:
        assert s1 >= s2


@pytest.mark.req("R-ONB-9")
def test_descriptor_bytes_round_trip() -> None:
    vec = descriptor_of("obama.jpg")
    assert np.array_equal(faces.from_bytes(faces.to_bytes(vec)), vec)
    with pytest.raises(ValueError):
        faces.from_bytes(b"\x00" * 12)


@pytest.mark.req("R-AF-1")
@settings(max_examples=30, deadline=None)
@given(st.integers(1, 400), st.integers(0, 2**32 - 1))
def test_index_search_equals_brute_force(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.normal(0, 0.1, (n, 128)).astype(np.float32)
    index = FaceIndex()
    index.extend((i, row) for i, row in enumerate(data))
    q = data[rng.integers(n)] + rng.normal(0, 0.02, 128).astype(np.float32)
    hits = index.search(q, max_distance=10, limit=3)
    brute = np.linalg.norm(data - q, axis=1)
    expected = list(np.argsort(brute)[:3])
    assert [h.key for h in hits] == expected
    assert all(abs(h.distance - brute[h.key]) < 1e-3 for h in hits)


@pytest.mark.req("R-AF-1")
def test_index_finds_the_same_face_under_another_key() -> None:
    rng = np.random.default_rng(1)
    index = FaceIndex()
    index.extend((f"noise-{i}", rng.normal(0, 0.1, 128)) for i in range(2000))
    index.add("client-obama", descriptor_of("obama2.jpg"))
    index.add("client-biden", descriptor_of("biden.jpg"))
    hits = index.search(descriptor_of("obama3.jpg"), max_distance=0.5)
    assert [h.key for h in hits] == ["client-obama"]
    assert index.search(descriptor_of("obama3.jpg"), max_distance=0.5, exclude=["client-obama"]) == []
    index.add("client-obama", descriptor_of("astronaut.png"))  # re-enrolled: replaced, not duplicated
    assert len(index) == 2002 and index.search(descriptor_of("obama3.jpg"), max_distance=0.5) == []


def test_pose_warper_moves_the_mesh_as_asked(warpers) -> None:
    from qaryz.biometrics.engine import mesh

    w = warpers("obama.jpg")
    base, _ = mesh.measure(w.rgb)
    measured = {pose: mesh.measure(w.render(pose))[0] for pose in synth.POSES[1:]}
    assert measured["turn_left"].yaw - base.yaw > 0.15 and measured["turn_right"].yaw - base.yaw < -0.15
    assert measured["look_up"].pitch < base.pitch - 0.04 < base.pitch + 0.04 < measured["look_down"].pitch
    assert measured["blink"].eyes < 0.6 * base.eyes and measured["open_mouth"].mouth > base.mouth + 0.2
    assert all(m.faces == 1 for m in measured.values())
