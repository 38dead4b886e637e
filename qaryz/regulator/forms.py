"""Back-office forms of the channel register."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.regulator.models import Channel, Service

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ChannelForm(forms.ModelForm):
    services = forms.MultipleChoiceField(
        label=_("Services offered"), choices=Service.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Channel
        fields = ["kind", "name", "address", "security_procedures"]
        widgets = {"security_procedures": forms.Textarea(attrs={"rows": 3})}


class PrepareForm(forms.Form):
    effective_on = forms.DateField(label=_("Planned date of the opening or change"), widget=DATE)


class MailForm(forms.Form):
    to = forms.EmailField(label=_("E-mail address of the authority"), max_length=254)


class SentForm(forms.Form):
    sent_on = forms.DateField(label=_("Sent on"), widget=DATE)
    reference = forms.CharField(label=_("Outgoing number"), max_length=120)
