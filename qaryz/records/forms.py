from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.records.models import AuditEvent


class AuditFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All"))] + list(AuditEvent.Category.choices)
    )
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=100)
    actor_type = forms.ChoiceField(
        label=_("Who"), required=False, choices=[("", _("Anyone"))] + list(AuditEvent.ActorType.choices)
    )
    actor_id = forms.CharField(label=_("Actor id"), required=False, max_length=64)
    target_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    target_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    since = forms.DateField(
        label=_("From (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
