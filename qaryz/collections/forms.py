"""Forms of the collections pages (labels translated; choices in words, never codes)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.collections.models import CollectionAction
from qaryz.core.forms import MoneyField
from qaryz.servicing.models import Restructuring

KIND_CHOICES = [
    (Restructuring.Kind.NEW_TERM, _("A new, longer term")),
    (Restructuring.Kind.LOWER_INSTALMENT, _("A lower monthly instalment")),
    (Restructuring.Kind.HOLIDAY, _("A payment holiday (interest only for a few months)")),
]


class ChangedTermsForm(forms.Form):
    wish = forms.ChoiceField(
        label=_("What would you like to change?"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label=_("Why, and what you can pay (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ApproveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Change to offer"), choices=KIND_CHOICES)
    term_months = forms.IntegerField(label=_("New term, months"), required=False, min_value=1, max_value=360)
    holiday_months = forms.IntegerField(label=_("Holiday, months"), required=False, min_value=1, max_value=6)
    max_instalment = MoneyField(label=_("Highest instalment, KZT"), required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the refusal (the client receives it in writing)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


CALL_OUTCOMES = [
    (v, label)
    for v, label in CollectionAction.Outcome.choices
    if v not in (CollectionAction.Outcome.SENT, CollectionAction.Outcome.NOT_DELIVERED)
]


class CallForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome of the call"), choices=CALL_OUTCOMES)
    promised_on = forms.DateField(
        label=_("Promised payment date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WriteOffForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the write-off"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RejectWriteOffForm(forms.Form):
    reason = forms.CharField(label=_("Why it is rejected"), required=False, max_length=500)
