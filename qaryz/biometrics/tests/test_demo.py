"""Demo material: the generated card is readable and matches the client; loading twice adds nothing."""

from __future__ import annotations

import io

import pytest

from qaryz.biometrics import demo, services

from .test_protocol import make_client


@pytest.mark.django_db
def test_demo_cards_are_enrolable_and_idempotent(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path
    client = make_client(face=None)
    out = io.StringIO()
    demo.load_demo(out)
    card = tmp_path / "demo" / "biometrics" / f"id-card-{client.iin}.jpg"
    assert card.exists() and client.iin in out.getvalue()
    again = io.StringIO()
    demo.load_demo(again)
    assert again.getvalue() == ""
    ref = services.enrol_document(client, card.read_bytes())
    assert ref.mrz["iin"] == client.iin and all(ref.comparison.values())
