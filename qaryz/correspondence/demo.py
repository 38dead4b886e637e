"""Demo letters (R-CAB-7): three threads in the inbox of user ``support``:

- Касымова Динара (+77010000001) asked about a certificate of no debt and got an answer (with a
  PDF); the answer is still unread in her cabinet;
- Сейткали Айжан (+77010000011) asks about early repayment, a scan attached – unanswered;
- Омаров Бауыржан (+77010000012) complained about a collector's call 20 working days ago –
  unanswered and overdue (the demo dates the letter back so the overdue highlight shows).
Idempotent: a client who already has a thread gets none."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.contrib.auth import get_user_model
from django.utils import timezone

from qaryz.clients.models import Client
from qaryz.correspondence import deadlines, services
from qaryz.correspondence.models import Message, Thread

# A one-page PDF standing in for a scan.
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _client(phone: str) -> Client | None:
    client = Client.objects.filter(phone=phone).first()
    if client is None or Thread.objects.filter(client=client).exists():
        return None
    return client


def load_demo(out: TextIO) -> None:
    support = get_user_model().objects.filter(username="support").first()
    made = []
    client = _client("+77010000001")
    if client is not None:
        thread = services.open_thread(
            client,
            subject="Справка об отсутствии задолженности",
            topic="repayment",
            body="Здравствуйте! Прошу выдать справку об отсутствии задолженности для банка.",
            channel="demo",
        )
        if support is not None:
            services.staff_reply(
                thread,
                staff=support,
                body="Здравствуйте, Динара Ерлановна! Задолженности перед МФО у вас нет, справка во вложении.",
                attachments=[services.Upload("spravka.pdf", SCAN)],
            )
        made.append(thread)
    client = _client("+77010000011")
    if client is not None:
        made.append(
            services.open_thread(
                client,
                subject="Досрочное погашение",
                topic="contract",
                body="Хочу погасить заём досрочно в следующем месяце. Как пересчитают вознаграждение?",
                attachments=[services.Upload("zayavlenie.pdf", SCAN)],
                channel="demo",
            )
        )
    client = _client("+77010000012")
    if client is not None:
        thread = services.open_thread(
            client,
            subject="Жалоба на звонок сотрудника",
            topic="complaint",
            body="Мне звонили в 22:30 по поводу просрочки. Прошу разобраться.",
            channel="demo",
        )
        # Demo only: date the letter back 20 working days so the inbox shows an overdue answer.
        days, kind = services.reply_rule()
        today = timezone.localdate()
        received = today
        while deadlines.reply_due(received, days, kind) >= today:
            received -= dt.timedelta(days=1)
        moment = timezone.make_aware(dt.datetime.combine(received, dt.time(10, 15)))
        Thread.objects.filter(pk=thread.pk).update(
            created_at=moment,
            last_message_at=moment,
            waiting_since=moment,
            reply_due=deadlines.reply_due(received, days, kind),
        )
        Message.objects.filter(thread=thread).update(created_at=moment)
        made.append(thread)
    for thread in made:
        out.write(f"demo letter #{thread.pk} of {thread.client.display_name}: {thread.subject}\n")
    if made:
        out.write("demo letters: back office user support → Clients' letters; clients → Messages\n")
