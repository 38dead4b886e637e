"""Back-office forms of the fraud-victim cases."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qaryz.fraudcases.models import FraudCase

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RegisterCaseForm(forms.Form):
    loans = forms.CharField(
        label=_("Contract numbers of the loans concerned"),
        max_length=300,
        help_text=_("One or more, separated by commas or spaces; all of one client."),
    )
    kind = forms.ChoiceField(label=_("Document received"), choices=FraudCase.Kind.choices)
    received_on = forms.DateField(label=_("Date received"), widget=DATE)
    authority = forms.CharField(label=_("Authority"), max_length=200)
    reference_number = forms.CharField(label=_("Reference number"), max_length=100)
    document_date = forms.DateField(label=_("Document date"), required=False, widget=DATE)
    summary = forms.CharField(
        label=_("What happened, briefly"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    unauthorised_access = forms.BooleanField(
        label=_("Unauthorised access to the client's secrecy information was found"), required=False
    )
    document = forms.FileField(label=_("Scanned document (PDF, JPEG or PNG)"), required=False)


class DocumentForm(forms.Form):
    document = forms.FileField(label=_("Scanned document (PDF, JPEG or PNG)"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class ResumeForm(forms.Form):
    cancelled_on = forms.DateField(label=_("Cancelled on"), widget=DATE)
    reference = forms.CharField(label=_("Reference of the cancellation"), max_length=100, required=False)
    back_accrue = forms.TypedChoiceField(
        label=_("Interest for the suspended period"),
        choices=[("0", _("Not accrued")), ("1", _("Accrued (the schedule moves by the suspension)"))],
        coerce=lambda v: v == "1",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["back_accrue"].initial = "1" if settings.FRAUD_BACK_ACCRUAL_DEFAULT else "0"


class VerdictForm(forms.Form):
    verdict_on = forms.DateField(label=_("Verdict in force on"), widget=DATE)
    court = forms.CharField(label=_("Court"), max_length=200)
    reference = forms.CharField(label=_("Verdict number"), max_length=100)
    confirm = forms.BooleanField(
        label=_("The verdict establishes that the client did not receive the loan"),
    )
