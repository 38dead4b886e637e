"""Demo data of the signatures room: the test PKI and a test EDS key for every demo client."""

from __future__ import annotations

from typing import Any, TextIO

from qaryz.clients.models import Client

from . import services
from .testpki import TestPki, client_label


def issue_client_keys(out: TextIO | Any) -> int:
    """Issue test keys to existing clients that have none (idempotent): individuals and IEs by
    IIN; legal entities through their authorised signer (IIN + the entity's BIN)."""
    from qaryz.clients.models import LegalEntitySigner

    pki = services.ensure_test_pki()
    issued = 0
    for client in Client.objects.order_by("pk"):
        if client.kind == Client.Kind.LEGAL_ENTITY:
            signer = LegalEntitySigner.objects.filter(client=client).first()
            if signer is None:
                continue
            label, who = (
                client_label(signer.iin, client.bin or ""),
                f"{client.legal_name} (signer IIN {signer.iin})",
            )
        else:
            if not client.iin:
                continue
            label, who = client_label(client.iin), f"{client.display_name} (IIN {client.iin})"
        if pki.client_key(label) is None:
            services.issue_test_key(client)
            issued += 1
            out.write(f"EDS test key issued: {who}\n")
    return issued


def load_demo(out: TextIO) -> None:
    from django.conf import settings

    existed = TestPki.exists(settings.EDS_TEST_PKI_DIR)
    services.ensure_test_pki()
    if not existed:
        out.write(f"EDS test PKI created in {settings.EDS_TEST_PKI_DIR} (demo only, not NCA RK)\n")
    issue_client_keys(out)
