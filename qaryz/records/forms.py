from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from qaryz.records import descriptions
from qaryz.records.models import AuditEvent


def object_type_choices() -> list[tuple[str, str]]:
    """The platform's models that have a (translated) name of their own, and staff users."""
    models = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("qaryz.") or m._meta.label_lower == "auth.user"
    ]
    named = [m for m in models if m._meta.managed and "verbose_name" in m._meta.original_attrs]
    choices = {m._meta.label_lower: str(m._meta.verbose_name) for m in named}
    return sorted(choices.items(), key=lambda item: item[1].lower())


class AuditFilterForm(forms.Form):
    """Filters of the audit viewer; dates are local days of the MFO's zone."""

    group = forms.ChoiceField(label=_("Kind of event"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *AuditEvent.Category.choices]
    )
    actor_type = forms.ChoiceField(
        label=_("Who"), required=False, choices=[("", _("Anyone")), *AuditEvent.ActorType.choices]
    )
    actor = forms.CharField(label=_("Name or id of the actor"), required=False, max_length=64)
    target_type = forms.ChoiceField(label=_("Object"), required=False)
    target_id = forms.CharField(label=_("Object number"), required=False, max_length=64)
    since = forms.DateField(
        label=_("Date from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Date to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All")), *descriptions.group_choices()]
        self.fields["target_type"].choices = [("", _("Any")), *object_type_choices()]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the period is before its start."))
        return data
