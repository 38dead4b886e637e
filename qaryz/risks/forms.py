"""Back-office forms of the risk registers (labels translated; scales 1..5)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.core.forms import MoneyField
from qaryz.risks.models import Asset, Complaint, FraudRisk, Investigation, RealisedFraud, SecurityRisk

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AREA = forms.Textarea(attrs={"rows": 3})
SCALE = [(n, str(n)) for n in range(1, 6)]


class FraudRiskForm(forms.ModelForm):
    likelihood = forms.TypedChoiceField(label=_("Likelihood (1–5)"), choices=SCALE, coerce=int)
    impact = forms.TypedChoiceField(label=_("Impact (1–5)"), choices=SCALE, coerce=int)

    class Meta:
        model = FraudRisk
        fields = [
            "title",
            "description",
            "indicators",
            "likelihood",
            "impact",
            "owner",
            "mitigation",
            "status",
            "review_on",
        ]
        widgets = {"description": AREA, "indicators": AREA, "mitigation": AREA, "review_on": DATE}


class ComplaintForm(forms.ModelForm):
    client_iin = forms.CharField(label=_("IIN of the client"), max_length=12, min_length=12, required=False)
    fraud_case_number = forms.CharField(
        label=_("Number of the fraud-victim case"), max_length=30, required=False
    )

    class Meta:
        model = Complaint
        fields = ["received_on", "summary", "reference", "fraud_risk"]
        widgets = {"received_on": DATE, "summary": AREA}
        help_texts = {"reference": _("Any other object, e.g. correspondence.thread:5")}

    def clean(self):
        data = super().clean()
        from qaryz.clients.models import Client
        from qaryz.fraudcases.models import FraudCase

        if data.get("client_iin"):
            client = Client.objects.filter(iin=data["client_iin"]).first()
            if client is None:
                self.add_error("client_iin", _("No client with this IIN."))
            self.instance.client = client
        if data.get("fraud_case_number"):
            case = FraudCase.objects.filter(number=data["fraud_case_number"].strip()).first()
            if case is None:
                self.add_error("fraud_case_number", _("No fraud-victim case with this number."))
            else:
                self.instance.fraud_case = case
                self.instance.client = self.instance.client or case.client
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer to the client"), max_length=4000, widget=AREA)


class InvestigationForm(forms.ModelForm):
    class Meta:
        model = Investigation
        fields = ["title", "opened_on", "investigator", "fraud_risk", "complaint"]
        widgets = {"opened_on": DATE}


class FindingsForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), max_length=8000, widget=AREA)


class RealisedForm(forms.ModelForm):
    loss_kzt = MoneyField(label=_("Loss, tenge"), min_value=Decimal("0"))
    recovered_kzt = MoneyField(label=_("Recovered, tenge"), min_value=Decimal("0"), required=False)

    class Meta:
        model = RealisedFraud
        fields = ["occurred_on", "description", "fraud_risk", "incident"]
        widgets = {"occurred_on": DATE, "description": AREA}

    def clean(self):
        data = super().clean()
        loss, recovered = data.get("loss_kzt"), data.get("recovered_kzt") or Decimal("0")
        if loss is not None:
            if recovered > loss:
                self.add_error("recovered_kzt", _("More cannot be recovered than was lost."))
            self.instance.loss = int(loss * 100)
            self.instance.recovered = int(recovered * 100)
        return data


class AssetForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = ["name", "kind", "owner", "description", "possible_loss"]
        widgets = {"description": AREA}


class SecurityRiskForm(forms.ModelForm):
    impact_confidentiality = forms.TypedChoiceField(
        label=_("Loss of confidentiality (1–5)"), choices=SCALE, coerce=int
    )
    impact_integrity = forms.TypedChoiceField(label=_("Loss of integrity (1–5)"), choices=SCALE, coerce=int)
    impact_availability = forms.TypedChoiceField(
        label=_("Loss of availability (1–5)"), choices=SCALE, coerce=int
    )

    class Meta:
        model = SecurityRisk
        fields = [
            "asset",
            "threat",
            "source_kind",
            "source",
            "vulnerability",
            "controls",
            "impact_confidentiality",
            "impact_integrity",
            "impact_availability",
            "treatment",
            "treatment_owner",
            "treatment_due",
            "status",
        ]
        widgets = {"vulnerability": AREA, "controls": AREA, "treatment": AREA, "treatment_due": DATE}


class EstimateForm(forms.Form):
    expert = forms.CharField(label=_("Expert"), max_length=150)
    value = forms.TypedChoiceField(label=_("Likelihood (1–5)"), choices=SCALE, coerce=int)
    rationale = forms.CharField(label=_("Rationale"), max_length=300, required=False)
