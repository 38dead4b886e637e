"""Back-office forms of the incident register."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.incidents.models import Incident, Notice, RecoveryStep

AREA = forms.Textarea(attrs={"rows": 3})
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of incident"), choices=Incident.Kind.choices)
    summary = forms.CharField(label=_("What happened"), max_length=4000, widget=AREA)
    asset = forms.ModelChoiceField(label=_("Asset concerned"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from qaryz.risks.models import Asset

        self.fields["asset"].queryset = Asset.objects.order_by("name")
        self.fields["asset"].empty_label = _("— not known —")


class MeasuresForm(forms.Form):
    measures = forms.CharField(
        label=_("Measures taken to remove the causes and consequences"), max_length=4000, widget=AREA
    )


class AffectedForm(forms.Form):
    iin = forms.CharField(label=_("IIN of the affected client"), min_length=12, max_length=12)


class NoticeForm(forms.Form):
    recipient_kind = forms.ChoiceField(label=_("Recipient"), choices=Notice.Recipient.choices)
    recipient_name = forms.CharField(
        label=_("Recipient's name (blank for the authority)"), max_length=200, required=False
    )
    language = forms.ChoiceField(label=_("Language of the letter"), choices=LANGUAGES)


class SentForm(forms.Form):
    reference = forms.CharField(label=_("Outgoing number or how it was sent"), max_length=120)


class MailForm(forms.Form):
    to = forms.EmailField(label=_("E-mail address of the recipient"), max_length=254)


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Recovery step"), choices=RecoveryStep.Kind.choices)
    description = forms.CharField(label=_("What to do"), max_length=300)


class StepDoneForm(forms.Form):
    result = forms.CharField(label=_("Result"), max_length=300)


class ConfirmForm(forms.Form):
    evidence = forms.CharField(label=_("How the normal state was checked"), max_length=4000, widget=AREA)
