"""Demo risk registers (issue 14): critical assets and one below the materiality threshold, security
risks with several experts' estimates, the demo incidents linked to their assets; fraud risks with
a complaint linked to the demo fraud-victim case, an investigation and realised fraud."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from qaryz.risks import services
from qaryz.risks.models import Asset, Complaint, FraudRisk, Investigation, RealisedFraud, SecurityRisk

ACTOR = "demo"


def load_demo(out: TextIO) -> None:
    if Asset.objects.exists():
        out.write(
            f"demo risk registers: {Asset.objects.count()} assets, {FraudRisk.objects.count()} fraud risks\n"
        )
        return
    today = timezone.localdate()
    ais = services.save_asset(
        Asset(
            name="АИС кредитования",
            kind="system",
            owner="Директор по ИТ",
            possible_loss=150_000_000,
            description="Заявки, договоры, выдачи, погашения",
        ),
        actor=ACTOR,
    )
    base = services.save_asset(
        Asset(
            name="База персональных данных клиентов", kind="data", owner="Служба ИБ", possible_loss=80_000_000
        ),
        actor=ACTOR,
    )
    services.save_asset(
        Asset(name="Корпоративный блог", kind="service", owner="Маркетинг", possible_loss=300_000),
        actor=ACTOR,
    )
    leak = services.save_security_risk(
        SecurityRisk(
            asset=base,
            threat="Утечка базы клиентов",
            source_kind="internal",
            source="Работник с доступом к БД",
            vulnerability="Выгрузка без ограничения объёма",
            controls="Ролевой доступ, журнал аудита",
            impact_confidentiality=5,
            impact_integrity=2,
            impact_availability=1,
            treatment="Внедрить DLP и лимиты выгрузки",
            treatment_owner="Служба ИБ",
            treatment_due=today + dt.timedelta(days=60),
            status="treating",
        ),
        actor=ACTOR,
    )
    services.estimate_likelihood(
        leak, expert="Руководитель ИБ", value=3, rationale="Два случая за 3 года", actor=ACTOR
    )
    services.estimate_likelihood(
        leak, expert="Внешний аудитор", value=4, rationale="Много пользователей", actor=ACTOR
    )
    outage = services.save_security_risk(
        SecurityRisk(
            asset=ais,
            threat="Отказ в обслуживании",
            source_kind="external",
            source="Ботнет",
            vulnerability="Нет защиты от DDoS у провайдера",
            controls="Резервный сервер",
            impact_confidentiality=1,
            impact_integrity=2,
            impact_availability=4,
            treatment="Подключить защиту от DDoS",
            treatment_owner="Директор по ИТ",
        ),
        actor=ACTOR,
    )
    services.estimate_likelihood(outage, expert="Руководитель ИБ", value=2, actor=ACTOR)
    services.save_security_risk(
        SecurityRisk(
            asset=ais,
            threat="Подмена реквизитов выплаты",
            source_kind="internal",
            source="Работник бэк-офиса",
            vulnerability="Нет контроля второго лица",
            impact_confidentiality=2,
            impact_integrity=5,
            impact_availability=1,
        ),
        actor=ACTOR,
    )
    from qaryz.incidents.models import Incident
    from qaryz.incidents.services import link_asset

    for source, asset in (("demo:overdue", base), ("demo:recovery", ais), ("demo:closed", ais)):
        incident = Incident.objects.filter(source=source).first()
        if incident is not None:
            link_asset(incident, asset, actor=ACTOR)

    theft = services.save_fraud_risk(
        FraudRisk(
            title="Займ по украденным персональным данным",
            indicators="Смена телефона перед заявкой; новое устройство; лицо уже есть под другим ИИН",
            likelihood=4,
            impact=4,
            owner="Служба безопасности",
            mitigation="Повторная биометрия, проверка номера у оператора, звонок",
            status="treating",
            review_on=today,
        ),
        actor=ACTOR,
    )
    drops = services.save_fraud_risk(
        FraudRisk(
            title="Вывод денег через подставные счета",
            indicators="Один IBAN у нескольких клиентов",
            likelihood=3,
            impact=3,
            owner="Комплаенс",
            mitigation="Проверка принадлежности счёта банком",
        ),
        actor=ACTOR,
    )
    services.save_fraud_risk(
        FraudRisk(
            title="Сговор работника с заёмщиком",
            indicators="Ручные одобрения одним работником",
            likelihood=2,
            impact=4,
            owner="Служба безопасности",
            mitigation="Разделение обязанностей",
        ),
        actor=ACTOR,
    )
    from qaryz.fraudcases.models import FraudCase

    case = FraudCase.objects.order_by("id").first()
    complaint = services.save_complaint(
        Complaint(
            received_on=today,
            summary="Клиентка сообщает, что займ оформлен без её ведома",
            fraud_case=case,
            client=case.client if case else None,
            fraud_risk=theft,
            reference="" if case else "demo:complaint",
        ),
        actor=ACTOR,
    )
    services.save_investigation(
        Investigation(
            title="Займ по чужим данным",
            opened_on=today,
            investigator="Служба безопасности",
            fraud_risk=theft,
            complaint=complaint,
            fraud_case=case,
        ),
        actor=ACTOR,
    )
    services.record_realised_fraud(
        RealisedFraud(
            occurred_on=today,
            description="Выдача на подставной счёт",
            fraud_risk=drops,
            fraud_case=case,
            loss=30_000_000,
            recovered=10_000_000,
        ),
        actor=ACTOR,
    )
    out.write(
        "demo risk registers: 3 assets, 3 security risks, 3 fraud risks, a complaint, an investigation\n"
    )
