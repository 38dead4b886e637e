"""Forms of the access pages. Secrets: masked, never re-rendered, no browser autofill (R-AUTH-4, R-WEB-3)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qaryz.clients.models import BankAccount, Client, LegalEntitySigner
from qaryz.clients.names import ADDRESS_MAX, NAME_MAX


def secret_input(autocomplete: str) -> forms.PasswordInput:
    # render_value=False: a password is never echoed back, even after a failed submit.
    return forms.PasswordInput(
        render_value=False,
        attrs={
            "autocomplete": autocomplete,
            "data-secret": "1",
            "spellcheck": "false",
            "data-show": _("Show"),
            "data-hide": _("Hide"),
        },
    )


def code_input() -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "pattern": "[0-9]*",
            "maxlength": "8",
            "data-secret": "1",
            "data-show": _("Show"),
            "data-hide": _("Hide"),
        }
    )


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"autocomplete": "off", "inputmode": "tel", "placeholder": "+7 7__ ___ __ __"}
            ),
        )
        super().__init__(**kwargs)


class LoginForm(forms.Form):
    phone = PhoneField()
    password = forms.CharField(label=_("Password"), max_length=128, strip=False, widget=secret_input("off"))


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=8, widget=code_input())


class RegistrationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("I register as"), choices=Client.Kind.choices, initial=Client.Kind.INDIVIDUAL
    )
    iin = forms.CharField(
        label=_("IIN"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    surname = forms.CharField(
        label=_("Surname"),
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    given_name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    patronymic = forms.CharField(
        label=_("Patronymic (if any)"),
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bin = forms.CharField(
        label=_("BIN"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    legal_name = forms.CharField(label=_("Name of the legal entity"), max_length=300, required=False)
    signer_surname = forms.CharField(label=_("Signer's surname"), max_length=NAME_MAX, required=False)
    signer_given_name = forms.CharField(label=_("Signer's name"), max_length=NAME_MAX, required=False)
    signer_patronymic = forms.CharField(label=_("Signer's patronymic"), max_length=NAME_MAX, required=False)
    signer_iin = forms.CharField(
        label=_("Signer's IIN"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    phone = PhoneField()
    address = forms.CharField(
        label=_("Registration address"),
        max_length=ADDRESS_MAX,
        help_text=_(
            "As in your identity document: city or village, street, house, flat. For a legal entity: its "
            "legal address."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages={
            "required": _("Enter the full registration address: city or village, street, house and flat.")
        },
    )
    pd_consent = forms.BooleanField(
        label=_("I have read the text above and agree to the processing of my personal data"),
        error_messages={"required": _("To register, agree to the processing of your personal data.")},
    )
    consent_sha256 = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class NewPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        widget=secret_input("new-password"),
        help_text=_("At least 10 characters; not a common or easily guessed password."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False, max_length=128, widget=secret_input("new-password")
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class ChangePasswordForm(NewPasswordForm):
    current = forms.CharField(
        label=_("Current password"), strip=False, max_length=128, widget=secret_input("current-password")
    )
    field_order = ["current", "password1", "password2"]


class RecoveryForm(forms.Form):
    phone = PhoneField()
    id_number = forms.CharField(
        label=_("IIN (BIN for a legal entity)"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class PhoneChangeForm(forms.Form):
    phone = PhoneField(label=_("New mobile phone"))


class BankChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=BankAccount.Kind.choices)
    value = forms.CharField(
        label=_("IBAN or card number"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class TotpEnrolForm(forms.Form):
    code = forms.CharField(label=_("Code from the app"), max_length=8, widget=code_input())


class AuthorityForm(forms.Form):
    """A legal entity's representative: the order appointing the head or a power of attorney (R-ONB-2)."""

    authority = forms.ChoiceField(
        label=_("Document that authorises the signer"),
        choices=LegalEntitySigner.Authority.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an order of appointment or a power of attorney.")},
    )
    scan = forms.FileField(
        label=_("Scan of the document (PDF, JPEG or PNG, up to 8 MB)"),
        error_messages={"required": _("Attach the scan of the document.")},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
