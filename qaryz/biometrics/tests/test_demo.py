"""Demo material: the generated card is readable and matches the client; loading twice adds nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from qaryz.biometrics import demo, services
from qaryz.clients.models import add_years

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
    # The card prints its issue date (the MRZ has none): expiry − the usual ID card term.
    expiry = add_years(dt.date.today(), 5)
    issued = add_years(expiry, -settings.CLIENTS_ID_CARD_VALIDITY_YEARS)
    ref = services.enrol_document(client, card.read_bytes(), issue_date=issued)
    assert ref.mrz["iin"] == client.iin and all(ref.comparison.values())
    assert ref.mrz["expiry_date"] == expiry.isoformat() and services.document_warnings(client) == []
