"""The risk registers (R-AF-2, R-RISK-1): fraud risks with complaints, investigations and realised
losses; security risks of critical assets with the experts' likelihood (highest wins), the past
incident frequency from the incident register, the level and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import IntegrityError, transaction

from qaryz.access.testing import make_client
from qaryz.incidents.services import register_incident
from qaryz.risks import selectors, services
from qaryz.risks.models import Asset, Complaint, FraudRisk, Investigation, RealisedFraud, SecurityRisk

pytestmark = pytest.mark.django_db


def fraud_risk(**kw) -> FraudRisk:
    fields = {
        "title": "Оформление займа по украденным данным",
        "indicators": "Смена телефона перед заявкой; новое устройство",
        "likelihood": 4,
        "impact": 4,
        "owner": "Служба безопасности",
        "mitigation": "Повторная биометрия, звонок",
    }
    fields.update(kw)
    return services.save_fraud_risk(FraudRisk(**fields), actor="system")


@pytest.mark.req("R-AF-2")
def test_fraud_risk_register_with_complaints_investigations_and_losses():
    risk = fraud_risk()
    row = selectors.fraud_risk_rows()[0]
    assert row["level"] == "critical" and row["risk"].pk == risk.pk
    with pytest.raises(services.RiskError):  # linked to nothing
        services.save_complaint(Complaint(received_on="2026-12-01", summary="Не брал займ"), actor="system")
    complaint = services.save_complaint(
        Complaint(received_on="2026-12-01", summary="Не брал займ", client=make_client(), fraud_risk=risk),
        actor="system",
    )
    answered = services.answer_complaint(complaint, answer="Займ аннулирован", actor="system")
    assert answered.status == "answered" and answered.answered_on
    with pytest.raises(services.RiskError):
        services.answer_complaint(answered, answer="ещё", actor="system")
    investigation = services.save_investigation(
        Investigation(
            title="Займ по чужим данным", opened_on="2026-12-01", investigator="Иванов", complaint=complaint
        ),
        actor="system",
    )
    with pytest.raises(services.RiskError):
        services.close_investigation(investigation, findings=" ", actor="system")
    closed = services.close_investigation(investigation, findings="Подмена SIM-карты", actor="system")
    assert closed.status == "closed" and closed.closed_on
    services.record_realised_fraud(
        RealisedFraud(
            occurred_on="2026-11-20",
            description="Выдан займ мошеннику",
            fraud_risk=risk,
            loss=15_000_000,
            recovered=5_000_000,
        ),
        actor="system",
    )
    with pytest.raises(services.RiskError):
        services.record_realised_fraud(
            RealisedFraud(occurred_on="2026-11-20", description="x", loss=100, recovered=200), actor="system"
        )
    _rows, totals = selectors.realised()
    assert totals == {"loss": 15_000_000, "recovered": 5_000_000, "net": 10_000_000}


def test_the_database_keeps_the_scales_and_the_states():
    risk = fraud_risk()
    with pytest.raises(IntegrityError), transaction.atomic():
        FraudRisk.objects.filter(pk=risk.pk).update(likelihood=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        Investigation.objects.create(title="x", opened_on="2026-12-01", investigator="y", status="closed")


@pytest.mark.req("R-RISK-1")
def test_security_register_highest_estimate_frequency_level_and_export(settings):
    settings.RISKS_MATERIALITY_THRESHOLD_KZT = 1_000_000
    crm = services.save_asset(
        Asset(name="АИС кредитования", kind="system", owner="ИТ", possible_loss=50_000_000), actor="s"
    )
    services.save_asset(
        Asset(name="Сайт-визитка", kind="service", owner="Маркетинг", possible_loss=100_000), actor="s"
    )
    assert [a.name for a in selectors.critical_assets()] == ["АИС кредитования"]
    risk = services.save_security_risk(
        SecurityRisk(
            asset=crm,
            threat="Кража базы клиентов",
            source_kind="internal",
            source="Работник с доступом к БД",
            vulnerability="Нет DLP",
            controls="Ролевой доступ",
            impact_confidentiality=5,
            impact_integrity=2,
            impact_availability=1,
        ),
        actor="s",
    )
    assert selectors.security_rows()[0].level is None  # nobody estimated yet
    services.estimate_likelihood(risk, expert="Эксперт А", value=2, actor="s")
    services.estimate_likelihood(risk, expert="Эксперт Б", value=4, actor="s")
    services.estimate_likelihood(risk, expert="Эксперт А", value=3, actor="s")  # replaces А's first estimate
    with pytest.raises(services.RiskError):
        services.estimate_likelihood(risk, expert="Эксперт В", value=9, actor="s")
    register_incident(kind="unauthorised_access", summary="Выгрузка базы", actor="s", asset=crm)
    register_incident(kind="outage", summary="Сбой", actor="s", asset=crm)
    row = selectors.security_rows()[0]
    assert (row.likelihood, row.impact, row.level) == (4, 5, "critical")
    assert [e.value for e in row.experts] == [4, 3] and row.incidents["total"] == 2
    table = list(csv.reader(io.StringIO(selectors.security_csv())))
    assert (
        len(table) == 2 and table[1][0] == "АИС кредитования" and table[1][9] == "4" and table[1][14] == "2"
    )
    assert table[1][8] == "Эксперт Б: 4; Эксперт А: 3"
