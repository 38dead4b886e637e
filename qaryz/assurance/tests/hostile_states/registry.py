"""Clients' registry and the suspense queue."""

from __future__ import annotations

import base64
import secrets


def cabinet() -> None:
    """A registered legal entity (its representative's documents) and a payment naming no loan
    (the suspense queue's forms)."""
    from django.utils import timezone

    from qaryz.access.testing import make_client, make_iin
    from qaryz.clients.models import Client, LegalEntitySigner
    from qaryz.servicing.models import Channel, SuspenseItem

    entity = make_client(kind=Client.Kind.LEGAL_ENTITY, status=Client.Status.REGISTERED)
    # registration always records the signer with the entity (clients.services)
    LegalEntitySigner.objects.create(client=entity, surname="Тестов", given_name="Тест", iin=make_iin())
    SuspenseItem.objects.create(
        channel=Channel.BANK,
        bank_reference="HOSTILE-FORMS-1",
        amount=5_000_000,
        value_date=timezone.localdate(),
        purpose="Оплата по договору",
        payer="Иванов И.",
        payer_account="KZ86125KZT5004100100",  # a known payer account: the item can be sent back
    )


def staff() -> None:
    """Clients who chose an authenticator app: the back office offers to reset the second factor
    (made after the cabinet crawl, so the clients' own pages stay as the demo made them)."""
    from qaryz.access.models import ClientCredential

    secret = base64.b32encode(secrets.token_bytes(20)).decode()  # made here: none in the code
    # every client: the crawler opens a few clients' pages, whichever it meets first
    ClientCredential.objects.update(second_factor="totp", totp_secret=secret)
