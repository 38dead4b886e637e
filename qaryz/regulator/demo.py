"""Demo channels (issue 14): the web cabinet and the mobile app (the site's pages and /api/v1/, see
``regulator.gate``) open with every service through notices sent months ago, so the demo's clients
are served; a terminal with its opening notice sent today but the 10 working days not over (the
open button is refused), whose service list then changed (a new notice is due)."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from qaryz.core import workdays
from qaryz.regulator import services
from qaryz.regulator.models import Channel, Notice, Service

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
    every = [code for code, _label in Service.choices]
    web = services.save_channel(
        Channel(
            kind="web",
            name="Личный кабинет qaryz.kz",
            address="https://qaryz.kz/cabinet/",
            security_procedures=PROCEDURES,
        ),
        every,
        actor=ACTOR,
    )
    past = today - dt.timedelta(days=120)
    _open(web, past, "исх. № 45")
    app = services.save_channel(
        Channel(
            kind="mobile_app",
            name="Qaryz для Android",
            address="Google Play: kz.qaryz.app",
            security_procedures=PROCEDURES,
        ),
        every,
        actor=ACTOR,
    )
    _open(app, past, "исх. № 46")
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
        terminal, effective_on=workdays.add_working_days(today, 12), actor=ACTOR
    )
    sent = services.mark_sent(notice, sent_on=today, reference="исх. № 212", actor=ACTOR)
    earliest = services.earliest_effect(sent)
    services.save_channel(terminal, ["repayment", "information"], actor=ACTOR)
    out.write(
        f"demo channels: 3 ({Notice.objects.count()} notices; the terminal's notice takes effect not "
        f"before {earliest:%d.%m.%Y}, and its service list changed since)\n"
    )


def _open(channel: Channel, past: dt.date, reference: str) -> None:
    """Open ``channel`` through a notice prepared, sent and in effect in the past."""
    notice, _ = services.prepare_notice(
        channel, effective_on=workdays.add_working_days(past, 10), actor=ACTOR, today=past
    )
    services.mark_sent(notice, sent_on=past, reference=reference, actor=ACTOR)
    services.put_into_effect(notice, actor=ACTOR)
