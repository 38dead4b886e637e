"""Demo incidents (issue 14): one with its deadlines overdue (nothing done yet), one in recovery
with the authority's notice prepared and an affected client informed, one closed after the
confirmation of the normal state. Deadlines are computed from backdated report days."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from qaryz.core import workdays
from qaryz.incidents import services
from qaryz.incidents.models import Incident

DEMO = [
    (
        "demo:overdue",
        "unauthorised_access",
        "Попытки входа в личные кабинеты с подобранными паролями из утечки",
        4,
    ),
    ("demo:recovery", "outage", "Недоступность личного кабинета 40 минут: отказ сервера базы данных", 1),
    ("demo:closed", "unauthorised_change", "Изменены реквизиты банковского счёта клиента без его ведома", 12),
]


def _backdate(incident: Incident, working_days_ago: int) -> Incident:
    day = workdays.add_working_days(timezone.localdate(), -working_days_ago)
    reported = timezone.make_aware(dt.datetime.combine(day, dt.time(11, 30)))
    measures_due, inform_due = services.deadlines(day)
    Incident.objects.filter(pk=incident.pk).update(
        reported_at=reported, measures_due=measures_due, inform_due=inform_due
    )
    incident.refresh_from_db()
    return incident


def load_demo(out: TextIO) -> None:
    from qaryz.clients.models import Client

    if Incident.objects.filter(source__startswith="demo:").exists():
        out.write(f"demo incidents: {Incident.objects.filter(source__startswith='demo:').count()}\n")
        return
    actor = "demo"
    made = {}
    for source, kind, summary, days_ago in DEMO:
        incident = services.report_incident(kind=kind, summary=summary, source=source, actor=actor)
        made[source] = _backdate(incident, days_ago)
    recovery = made["demo:recovery"]
    services.record_measures(recovery, "Переключение на резервный сервер БД, перезапуск сервиса", actor=actor)
    services.prepare_notice(recovery, recipient_kind="authority", actor=actor)
    services.add_step(
        recovery, kind="restore", description="Восстановить реплику БД и проверить данные", actor=actor
    )
    closed = made["demo:closed"]
    client = (
        Client.objects.filter(phone="+77010000012").first()
        or Client.objects.filter(iin__isnull=False).first()
    )
    if client is not None:
        services.add_affected_client(closed, client, actor=actor)
        services.inform_clients(closed, actor=actor)
    services.record_measures(
        closed, "Реквизиты возвращены, учётная запись работника заблокирована", actor=actor
    )
    notice = services.prepare_notice(closed, recipient_kind="authority", actor=actor)
    services.mark_notice_sent(notice, reference="исх. № 214 (e-mail АРРФР)", actor=actor)
    services.prepare_notice(
        closed, recipient_kind="service_provider", recipient_name="ТОО «Платёжный шлюз»", actor=actor
    )
    step = services.add_step(closed, kind="restore", description="Вернуть прежние реквизиты", actor=actor)
    services.complete_step(step, result="Реквизиты восстановлены из журнала изменений", actor=actor)
    step = services.add_step(
        closed, kind="vulnerability", description="Отозвать лишние права работника", actor=actor
    )
    services.complete_step(step, result="Роль пересмотрена", actor=actor)
    services.confirm_normal_state(
        closed, evidence="Сверка реквизитов с журналом, тестовая выплата прошла", actor=actor
    )
    services.close_incident(closed, actor=actor)
    out.write("demo incidents: 3 (one overdue, one in recovery, one closed)\n")
