"""Demo data-leak mark (issue 14): the servicing demo's borrower +77010000013 is marked as leaked;
the embedded mobile operator knows her number under her IIN (the check matches), the other demo
clients' numbers are registered too. Her next payout or signing asks for a new face check; the
verification call waits for user ``support``."""

from __future__ import annotations

from typing import TextIO

from qaryz.leaks import services
from qaryz.leaks.adapters.embedded import register_subscriber
from qaryz.leaks.models import LeakMark


def load_demo(out: TextIO) -> None:
    from qaryz.clients.models import Client

    for client in Client.objects.filter(iin__isnull=False).exclude(phone=""):
        register_subscriber(
            client.phone, client.iin, "Beeline" if client.phone.endswith(("1", "3", "5")) else "Kcell"
        )
    if LeakMark.objects.exists():
        out.write(f"demo data-leak marks: {LeakMark.objects.count()}\n")
        return
    client = (
        Client.objects.filter(phone="+77010000013").first()
        or Client.objects.filter(iin__isnull=False).first()
    )
    if client is None:
        out.write("demo data-leak mark: no demo client, skipped\n")
        return
    services.mark_leaked(
        client,
        reason="Паспортные данные и номер телефона клиентки опубликованы в базе, выставленной на продажу",
        source="Письмо службы мониторинга утечек",
        actor="demo",
    )
    out.write(f"demo data-leak mark: {client.display_name} (call task for user support)\n")
