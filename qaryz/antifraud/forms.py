"""Back-office forms of the antifraud room: a rule of a draft, the score thresholds, decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qaryz.antifraud import kinds
from qaryz.antifraud.models import Case

PARAM_FIELDS = ("threshold", "window_minutes", "min_clients", "distance_km", "countries", "flags", "fields")


class RuleForm(forms.Form):
    code = forms.SlugField(label=_("Code (Latin letters, digits, hyphens)"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Rule kind"), choices=[(k.code, k.label) for k in kinds.KINDS.values()])
    event_kinds = forms.MultipleChoiceField(
        label=_("Events (none ticked: every event)"),
        choices=list(kinds.EVENT_KINDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=list(kinds.OUTCOMES.items()))
    weight = forms.IntegerField(label=_("Weight"), min_value=0, max_value=1000, initial=0)
    threshold = forms.IntegerField(label=kinds.THRESHOLD.label, min_value=1, required=False)
    window_minutes = forms.IntegerField(label=kinds.WINDOW.label, min_value=1, required=False)
    min_clients = forms.IntegerField(label=kinds.MIN_CLIENTS.label, min_value=2, required=False)
    distance_km = forms.IntegerField(label=kinds.DISTANCE.label, min_value=1, required=False)
    countries = forms.CharField(label=kinds.COUNTRIES.label, max_length=200, required=False)
    flags = forms.CharField(label=kinds.FLAGS.label, max_length=300, required=False)
    fields = forms.CharField(label=kinds.FIELDS.label, max_length=300, required=False)

    def params(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in PARAM_FIELDS if data.get(name) not in (None, "")}


class ThresholdsForm(forms.Form):
    review_score = forms.IntegerField(label=_("Score for a review"), min_value=1)
    hold_score = forms.IntegerField(label=_("Score for a hold"), min_value=1)
    decline_score = forms.IntegerField(label=_("Score for a decline"), min_value=1)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class CloseCaseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Case.Outcome.CONFIRMED, Case.Outcome.CONFIRMED.label),
            (Case.Outcome.FALSE_POSITIVE, Case.Outcome.FALSE_POSITIVE.label),
        ],
    )
    loss = forms.DecimalField(
        label=_("Losses, tenge"), min_value=0, max_digits=15, decimal_places=2, initial=0
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=pgettext_lazy("antifraud", "Security officer"))

    def __init__(self, *args, officers=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(u.pk, u.get_full_name() or u.username) for u in officers]
