"""Demo material for the biometric check: an ID-card photo for each demo individual (idempotent).

The card carries the client's IIN and transliterated name in its MRZ and a public-domain face
from qaryz/biometrics/testdata/faces, so the cabinet's "upload your ID card" step can be tried; the
liveness step then needs the person at the webcam to look like that face, which only the test
clip does - in a live demo, upload a card photo of yourself rendered the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TextIO

from django.conf import settings

from qaryz.clients.models import Client, add_years

from .engine import mrz, synth

FACES = Path(__file__).resolve().parent / "testdata" / "faces"


def card_for(client: Client, face: Path) -> bytes:
    expiry = add_years(dt.date.today(), 5)
    issued = add_years(expiry, -settings.CLIENTS_ID_CARD_VALIDITY_YEARS)  # printed: the MRZ has none
    lines = mrz.build_td1(
        document_number=f"{client.pk:09d}",
        birth=dt.date(1990, 1, 1),
        sex="M",
        expiry=expiry,
        surname=mrz.transliterate(client.surname),
        given_names=mrz.transliterate(client.given_name),
        iin=client.iin or "",
    )
    card = synth.render_id_card(
        synth.load_rgb(face), lines, fields=[lines[2][:24], f"ISSUED {issued:%d.%m.%Y}"]
    )
    return synth.jpeg(synth.photograph_card(card), quality=90)


def load_demo(out: TextIO) -> None:
    face = FACES / "obama2.jpg"
    if not face.exists():
        out.write("biometrics: qaryz/biometrics/testdata/faces not found, no demo ID cards\n")
        return
    folder = Path(settings.DATA_DIR) / "demo" / "biometrics"
    clients = Client.objects.filter(kind=Client.Kind.INDIVIDUAL, iin__isnull=False).order_by("pk")[:5]
    for client in clients:
        path = folder / f"id-card-{client.iin}.jpg"
        if path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(card_for(client, face))
        out.write(f"biometrics: demo ID card photo for {client.display_name}: {path}\n")
