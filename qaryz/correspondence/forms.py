"""Forms of the letters: the client's new letter and reply, the staff's reply and assignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.correspondence import selectors, services
from qaryz.correspondence.models import Topic


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``clean`` returns a list (empty when none were chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _files_label() -> str:
    return _("Files: PDF, JPEG or PNG, up to %(limit)s MB each, at most %(count)s") % {
        "limit": services.limit_megabytes(),
        "count": services.max_attachments(),
    }


class _WithFiles(forms.Form):
    attachments = MultipleFileField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].label = _files_label()


class NewThreadForm(_WithFiles):
    topic = forms.ChoiceField(label=_("Topic"), choices=[("", _("Choose a topic"))] + Topic.choices)
    subject = forms.CharField(label=_("Subject of the letter"), max_length=services.MAX_SUBJECT)
    body = forms.CharField(
        label=_("Your letter"), max_length=services.MAX_BODY, widget=forms.Textarea(attrs={"rows": 7})
    )
    field_order = ["topic", "subject", "body", "attachments"]


class ReplyForm(_WithFiles):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=services.MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    field_order = ["body", "attachments"]

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a text or attach a file."))
        return data


class StaffReplyForm(_WithFiles):
    body = forms.CharField(
        label=_("Answer to the client"),
        max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    field_order = ["body", "attachments"]


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Responsible"), queryset=None, required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = selectors.answerers()
        self.fields["assignee"].queryset = users
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.username
