"""Demo clients: a confirmed individual, a registered (not yet confirmed) individual entrepreneur,
and a confirmed individual whose name resembles an entry of the fictional AML list (his application
waits in the back-office review queues, see qaryz/backoffice/demo.py).

Idempotent; prints the phone numbers and passwords to sign in with. Codes arrive in the embedded
SMS outbox (back office "SMS outbox (demo)" page and DATA_DIR/sms-outbox.log).
"""

from typing import TextIO

from django.utils import timezone

from qaryz.clients.idnumbers import complete
from qaryz.clients.models import BankAccount, Client, add_years

DEMO_PASSWORD = "Demo-Client-2026"  # noqa: S105 - published demo credential

DEMO_CLIENTS = [
    {
        "kind": Client.Kind.INDIVIDUAL,
        "status": Client.Status.CONFIRMED,
        "phone": "+77010000001",
        "address": "г. Алматы, мкр. Самал-2, д. 33, кв. 18",
        "iin_base": "8803154000",
        "surname": "Касымова",
        "given_name": "Динара",
        "patronymic": "Ерлановна",
        "id_doc_type": "id_card",
        "id_doc_number": "045678912",
    },
    {
        "kind": Client.Kind.ENTREPRENEUR,
        "status": Client.Status.REGISTERED,
        "phone": "+77010000002",
        "address": "г. Астана, пр. Мәңгілік Ел, 20, кв. 41",
        "iin_base": "9107223000",
        "surname": "Нурланов",
        "given_name": "Арман",
        "patronymic": "",
        "id_doc_type": "",
        "id_doc_number": "",
    },
    {
        "kind": Client.Kind.INDIVIDUAL,
        "status": Client.Status.CONFIRMED,
        "phone": "+77010000003",  # no address: the cabinet asks for it before a contract is signed
        "iin_base": "7506203000",
        "surname": "Жалғасбеков",
        "given_name": "Демобек",
        "patronymic": "",
        "id_doc_type": "id_card",
        "id_doc_number": "041234567",
    },
]


def _iin(base: str) -> str:
    for serial in range(10):
        value = complete(base + str(serial))
        if value is not None:
            return value
    raise ValueError(base)


def load_demo(out: TextIO) -> None:
    from qaryz.access.services import set_client_password

    for spec in DEMO_CLIENTS:
        client = Client.objects.filter(phone=spec["phone"]).first()
        if client is None:
            today = timezone.localdate()
            client = Client.objects.create(
                kind=spec["kind"],
                status=spec["status"],
                phone=spec["phone"],
                iin=_iin(spec["iin_base"]),
                surname=spec["surname"],
                given_name=spec["given_name"],
                patronymic=spec["patronymic"],
                id_doc_type=spec["id_doc_type"],
                id_doc_number=spec["id_doc_number"],
                id_doc_expiry=add_years(today, 5) if spec["id_doc_type"] else None,
                # Issued 10 years before the expiry (the usual ID card term, CLIENTS_ID_CARD_VALIDITY_YEARS).
                id_doc_issue_date=add_years(today, -5) if spec["id_doc_type"] else None,
                address=spec.get("address", ""),
                confirmed_at=timezone.now() if spec["status"] == Client.Status.CONFIRMED else None,
            )
            set_client_password(client, DEMO_PASSWORD)
            if spec["status"] == Client.Status.CONFIRMED:
                BankAccount.objects.create(client=client, kind="iban", value="KZ86125KZT5004100100")
            out.write(f"demo client created: {client.display_name}\n")
        out.write(
            f"client {client.get_kind_display()} ({client.get_status_display()}): phone {client.phone}, "
            f"password {DEMO_PASSWORD}, IIN {client.iin}\n"
        )
