"""Writes of the risk registers (R-AF-2, R-RISK-1); every change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.records.services import record_event as audit
from qaryz.risks.models import (
    Asset,
    Complaint,
    FraudRisk,
    Investigation,
    LikelihoodEstimate,
    RealisedFraud,
    SecurityRisk,
)


class RiskError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _label(actor: Any) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def _save(instance: Any, action: str, actor: Any, **data: Any) -> Any:
    with transaction.atomic():
        instance.full_clean()
        instance.save()
        audit(action, category="security", actor=actor, target=instance, data=data or None)
    return instance


def save_fraud_risk(risk: FraudRisk, *, actor: Any) -> FraudRisk:
    return _save(risk, "risks.fraud_risk_saved", actor, status=risk.status)


def save_complaint(complaint: Complaint, *, actor: Any) -> Complaint:
    if complaint.fraud_case_id is None and not complaint.reference and complaint.client_id is None:
        raise RiskError(_("Link the complaint to a client, a fraud-victim case or a reference."))
    return _save(complaint, "risks.complaint_saved", actor)


def answer_complaint(complaint: Complaint, *, answer: str, actor: Any) -> Complaint:
    if not answer.strip():
        raise RiskError(_("Write the answer."))
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if locked.status == Complaint.Status.ANSWERED:
            raise RiskError(_("The complaint is already answered."))
        locked.answer, locked.status, locked.answered_on = (
            answer.strip(),
            Complaint.Status.ANSWERED,
            timezone.localdate(),
        )
        locked.save(update_fields=["answer", "status", "answered_on"])
        audit("risks.complaint_answered", category="security", actor=actor, target=locked)
    return locked


def save_investigation(investigation: Investigation, *, actor: Any) -> Investigation:
    return _save(investigation, "risks.investigation_saved", actor)


def close_investigation(investigation: Investigation, *, findings: str, actor: Any) -> Investigation:
    if not findings.strip():
        raise RiskError(_("Write the findings."))
    with transaction.atomic():
        locked = Investigation.objects.select_for_update().get(pk=investigation.pk)
        if locked.status == Investigation.Status.CLOSED:
            raise RiskError(_("The investigation is already completed."))
        locked.findings, locked.status, locked.closed_on = (
            findings.strip(),
            Investigation.Status.CLOSED,
            timezone.localdate(),
        )
        locked.save(update_fields=["findings", "status", "closed_on"])
        audit("risks.investigation_closed", category="security", actor=actor, target=locked)
    return locked


def record_realised_fraud(realised: RealisedFraud, *, actor: Any) -> RealisedFraud:
    if realised.recovered > realised.loss:
        raise RiskError(_("More cannot be recovered than was lost."))
    return _save(realised, "risks.realised_fraud_recorded", actor, loss=realised.loss)


def save_asset(asset: Asset, *, actor: Any) -> Asset:
    return _save(asset, "risks.asset_saved", actor)


def save_security_risk(risk: SecurityRisk, *, actor: Any) -> SecurityRisk:
    return _save(risk, "risks.security_risk_saved", actor, status=risk.status)


def estimate_likelihood(
    risk: SecurityRisk, *, expert: str, value: int, rationale: str = "", actor: Any
) -> LikelihoodEstimate:
    """One expert's estimate (a second one from the same expert replaces the first)."""
    if not expert.strip():
        raise RiskError(_("Name the expert."))
    if value not in range(1, 6):
        raise RiskError(_("The likelihood is a whole number from 1 to 5."))
    with transaction.atomic():
        estimate, _created = LikelihoodEstimate.objects.update_or_create(
            risk=risk,
            expert=expert.strip()[:150],
            defaults={"value": value, "rationale": rationale.strip()[:300]},
        )
        audit(
            "risks.likelihood_estimated",
            category="security",
            actor=actor,
            target=risk,
            data={"expert": estimate.expert, "value": value},
        )
    return estimate
