from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.access.forms import code_input, secret_input


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label=_("User name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    password = forms.CharField(label=_("Password"), strip=False, max_length=128, widget=secret_input("off"))


class StaffCodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=8, widget=code_input())


class StaffPasswordForm(forms.Form):
    current = forms.CharField(
        label=_("Current password"), strip=False, widget=secret_input("current-password")
    )
    password1 = forms.CharField(label=_("New password"), strip=False, widget=secret_input("new-password"))
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False, widget=secret_input("new-password")
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class ApplicationDecisionForm(forms.Form):
    """The underwriter's decision on an application in manual review."""

    APPROVE, DECLINE = "approve", "decline"

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[(APPROVE, _("Approve")), (DECLINE, _("Decline"))]
    )
    reason = forms.ChoiceField(label=_("Reason shown to the client"), required=False, choices=[])
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        from qaryz.lending.models import Application

        super().__init__(*args, **kwargs)
        # A refusal under AML law is the AML officer's conclusion, not the underwriter's.
        reasons = [(v, label) for v, label in Application.DeclineReason.choices if v != "aml"]
        self.fields["reason"].choices = [("", "—"), *reasons]

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.DECLINE and not data.get("reason"):
            self.add_error("reason", _("Choose a permitted reason."))
        return data


class ScreeningReviewForm(forms.Form):
    """The AML officer's conclusion on a possible list match."""

    CONFIRMED, FALSE_POSITIVE = "confirmed", "false_positive"

    conclusion = forms.ChoiceField(
        label=_("Conclusion"),
        choices=[(CONFIRMED, _("Match confirmed")), (FALSE_POSITIVE, _("False positive"))],
    )
    note = forms.CharField(label=_("Note"), max_length=1000, widget=forms.Textarea({"rows": 2}))
