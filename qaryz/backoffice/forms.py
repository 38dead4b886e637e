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
