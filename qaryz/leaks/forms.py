"""Back-office forms of the data-leak measures."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.leaks.models import CallTask

AREA = forms.Textarea(attrs={"rows": 3})


class MarkForm(forms.Form):
    iin = forms.CharField(label=_("IIN of the client"), min_length=12, max_length=12)
    source = forms.CharField(label=_("How the MFO learnt of the leak"), max_length=200)
    reason = forms.CharField(label=_("Reason: what leaked and where"), max_length=4000, widget=AREA)


class CallForm(forms.Form):
    status = forms.ChoiceField(
        label=_("How the call went"),
        choices=[
            (CallTask.Status.DONE, CallTask.Status.DONE.label),
            (CallTask.Status.UNREACHABLE, CallTask.Status.UNREACHABLE.label),
        ],
    )
    outcome = forms.CharField(label=_("What the client said"), max_length=4000, widget=AREA, required=False)
    refusal_recommended = forms.BooleanField(
        label=_("I told the client about the leak and recommended a voluntary refusal of loans"),
        required=False,
    )
