"""Demo channels (issue 14): the web cabinet open through a notice sent months ago, the mobile app
with its opening notice sent but the 10 working days not over (the open button is refused), and a
terminal whose service list changed after its notice (a new notice is due)."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from qaryz.core import workdays
from qaryz.regulator import services
from qaryz.regulator.models import Channel, Notice

ACTOR = "demo"
PROCEDURES = (
    "Порядок обеспечения безопасности и защиты информации от несанкционированного доступа, "
    "утверждён протоколом общего собрания участников"
)


def load_demo(out: TextIO) -> None:
    if Channel.objects.exists():
        out.write(f"demo channels: {Channel.objects.count()}\n")
        return
    today = timezone.localdate()
    web = services.save_channel(
        Channel(
            kind="web",
            name="Личный кабинет qaryz.kz",
            address="https://qaryz.kz/cabinet/",
            security_procedures=PROCEDURES,
        ),
        [
            "registration",
            "application",
            "signing",
            "payout",
            "repayment",
            "early_repayment",
            "information",
            "letters",
            "change_details",
        ],
        actor=ACTOR,
    )
    past = today - dt.timedelta(days=120)
    notice, _ = services.prepare_notice(
        web, effective_on=workdays.add_working_days(past, 10), actor=ACTOR, today=past
    )
    services.mark_sent(notice, sent_on=past, reference="исх. № 45", actor=ACTOR)
    services.put_into_effect(notice, actor=ACTOR)
    app = services.save_channel(
        Channel(
            kind="mobile_app",
            name="Qaryz для Android",
            address="Google Play: kz.qaryz.app",
            security_procedures=PROCEDURES,
        ),
        ["registration", "application", "signing", "payout", "repayment", "information"],
        actor=ACTOR,
    )
    notice, _ = services.prepare_notice(app, effective_on=workdays.add_working_days(today, 12), actor=ACTOR)
    services.mark_sent(notice, sent_on=today, reference="исх. № 212", actor=ACTOR)
    terminal = services.save_channel(
        Channel(
            kind="terminal",
            name="Терминал ТРЦ «Mega Alma-Ata»",
            address="г. Алматы, ул. Розыбакиева, 247А, 1 этаж",
            security_procedures=PROCEDURES,
        ),
        ["repayment"],
        actor=ACTOR,
    )
    notice, _ = services.prepare_notice(
        terminal, effective_on=workdays.add_working_days(today, 15), actor=ACTOR
    )
    services.save_channel(terminal, ["repayment", "information"], actor=ACTOR)
    out.write(
        f"demo channels: 3 ({Notice.objects.count()} notices; the app opens not before {services.earliest_effect(app.notices.first()):%d.%m.%Y})\n"
    )
