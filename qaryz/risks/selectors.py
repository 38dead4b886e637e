"""Reads of the risk registers for the pages and the annual-review export (R-AF-2, R-RISK-1)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Sum
from django.utils.translation import gettext as _

from qaryz.risks import levels
from qaryz.risks.models import (
    Asset,
    Complaint,
    FraudRisk,
    Investigation,
    LikelihoodEstimate,
    RealisedFraud,
    SecurityRisk,
)


def level_label(code: str | None) -> str:
    labels = {"low": _("Low"), "medium": _("Medium"), "high": _("High"), "critical": _("Critical")}
    return labels.get(code or "", _("Not estimated"))


def threshold_kzt() -> int:
    return int(settings.RISKS_MATERIALITY_THRESHOLD_KZT)


@dataclass
class SecurityRow:
    risk: SecurityRisk
    likelihood: int | None
    experts: list[LikelihoodEstimate]
    impact: int
    level: str | None
    level_label: str
    incidents: dict[str, Any]


def security_rows(asset_id: int | None = None) -> list[SecurityRow]:
    from qaryz.incidents.selectors import incident_frequency

    risks = SecurityRisk.objects.select_related("asset").prefetch_related(
        Prefetch("estimates", queryset=LikelihoodEstimate.objects.order_by("-value", "expert"))
    )
    if asset_id:
        risks = risks.filter(asset_id=asset_id)
    rows = []
    frequency: dict[int, dict[str, Any]] = {}
    for risk in risks:
        experts = list(risk.estimates.all())
        likelihood = levels.combined_likelihood(e.value for e in experts)
        impact = levels.impact(risk.impact_confidentiality, risk.impact_integrity, risk.impact_availability)
        code = levels.level(likelihood, impact)
        if risk.asset_id not in frequency:
            frequency[risk.asset_id] = incident_frequency(risk.asset_id)
        rows.append(
            SecurityRow(risk, likelihood, experts, impact, code, level_label(code), frequency[risk.asset_id])
        )
    return rows


def asset_rows() -> list[dict[str, Any]]:
    threshold = threshold_kzt()
    assets = Asset.objects.annotate(risk_count=Count("risks"))
    return [
        {"asset": a, "critical": levels.is_critical_asset(a.possible_loss, threshold), "risks": a.risk_count}
        for a in assets
    ]


def critical_assets() -> list[Asset]:
    threshold = threshold_kzt()
    return [a for a in Asset.objects.all() if levels.is_critical_asset(a.possible_loss, threshold)]


def fraud_risk_rows() -> list[dict[str, Any]]:
    rows = []
    for risk in FraudRisk.objects.annotate(
        complaint_count=Count("complaints", distinct=True), realised_count=Count("realised", distinct=True)
    ):
        code = levels.level(risk.likelihood, risk.impact)
        rows.append({"risk": risk, "level": code, "level_label": level_label(code)})
    return rows


def complaints() -> list[Complaint]:
    return list(Complaint.objects.select_related("client", "fraud_case", "fraud_risk"))


def investigations() -> list[Investigation]:
    return list(Investigation.objects.select_related("fraud_risk", "complaint", "fraud_case"))


def realised() -> tuple[list[RealisedFraud], dict[str, int]]:
    rows = list(RealisedFraud.objects.select_related("fraud_risk", "fraud_case", "incident"))
    totals = RealisedFraud.objects.aggregate(loss=Sum("loss"), recovered=Sum("recovered"))
    loss, recovered = totals["loss"] or 0, totals["recovered"] or 0
    return rows, {"loss": loss, "recovered": recovered, "net": loss - recovered}


def security_csv() -> str:
    """The information-security risk register for the annual review (R-RISK-1), one row per risk."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Asset"),
            _("Critical asset"),
            _("Possible losses, tenge"),
            _("Threat"),
            _("Source of the threat"),
            _("Who or what"),
            _("Vulnerability"),
            _("Existing controls"),
            _("Experts' estimates"),
            _("Likelihood (highest)"),
            _("Confidentiality"),
            _("Integrity"),
            _("Availability"),
            _("Risk level"),
            _("Incidents in 3 years"),
            _("Treatment plan"),
            _("Responsible"),
            _("Treatment due"),
            _("Status"),
        ]
    )
    threshold = threshold_kzt()
    for row in security_rows():
        r = row.risk
        writer.writerow(
            [
                r.asset.name,
                _("yes") if levels.is_critical_asset(r.asset.possible_loss, threshold) else _("no"),
                r.asset.possible_loss,
                r.threat,
                r.get_source_kind_display(),
                r.source,
                r.vulnerability,
                r.controls,
                "; ".join(f"{e.expert}: {e.value}" for e in row.experts),
                row.likelihood or "",
                r.impact_confidentiality,
                r.impact_integrity,
                r.impact_availability,
                row.level_label,
                row.incidents["total"],
                r.treatment,
                r.treatment_owner,
                f"{r.treatment_due:%d.%m.%Y}" if r.treatment_due else "",
                r.get_status_display(),
            ]
        )
    return out.getvalue()
