from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from qaryz.lending.models import METHODS, DisbursementMethod


class TermsForm(forms.Form):
    product = forms.CharField(widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("Amount, KZT"), min_value=Decimal("1"), max_digits=14, decimal_places=2
    )
    term_months = forms.IntegerField(label=_("Term, months"), min_value=1, max_value=360)

    def __init__(self, *args: object, product: object | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if product is not None:
            # The product's real range replaces the generic bounds ("≤ 360"), with money formatting.
            self.product = product
            for name in ("amount", "term_months"):
                field = self.fields[name]
                field.validators = [
                    v
                    for v in field.validators
                    if not isinstance(v, (validators.MinValueValidator, validators.MaxValueValidator))
                ]

    def clean(self) -> dict:
        data = super().clean()
        product = getattr(self, "product", None)
        if product is not None and "amount" in data and "term_months" in data:
            from qaryz.lending.products import term_errors

            for field, message in term_errors(product, data["amount"], data["term_months"]).items():
                self.add_error(field, message)
        return data


class DisbursementForm(forms.Form):
    disbursement_method = forms.ChoiceField(
        label=_("How to receive the money"), choices=DisbursementMethod.choices, widget=forms.RadioSelect
    )
    iban = forms.CharField(label=_("IBAN of your account"), required=False, max_length=40)
    card = forms.CharField(
        label=_("Card number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    merchant = forms.CharField(label=_("Partner merchant"), required=False, max_length=200)


class SubmitForm(forms.Form):
    monthly_income = forms.DecimalField(
        label=_("Average monthly income of the last 6 months, KZT"),
        min_value=Decimal("1"),
        max_digits=14,
        decimal_places=2,
    )
    bureau_consent = forms.BooleanField(
        label=_("I consent to the MFO requesting my credit report from the credit bureau")
    )


class AmendmentForm(forms.Form):
    """The change a client asks for (the current terms are the initial values)."""

    term_months = forms.IntegerField(label=_("Term, months"), min_value=1, max_value=360)
    method = forms.ChoiceField(label=_("Schedule method"), choices=METHODS)
    payment_day = forms.IntegerField(
        label=_("Payment day of the month (empty: the day the loan was issued)"),
        required=False,
        min_value=1,
        max_value=31,
    )
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: object, methods: list[str] | None = None, product: object | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if methods is not None:
            self.fields["method"].choices = [c for c in METHODS if c[0] in methods]
        self.product = product
        if product is not None:  # the product's real term range instead of the generic "≤ 360"
            field = self.fields["term_months"]
            field.validators = [
                v
                for v in field.validators
                if not isinstance(v, (validators.MinValueValidator, validators.MaxValueValidator))
            ]
            field.widget.attrs.update(min=product.min_term_months, max=product.max_term_months)  # type: ignore[attr-defined]

    def clean_term_months(self) -> int:
        term = self.cleaned_data["term_months"]
        product = self.product
        if product is not None and not product.min_term_months <= term <= product.max_term_months:  # type: ignore[attr-defined]
            raise forms.ValidationError(
                _("The term must be between %(min)s and %(max)s months.")
                % {"min": product.min_term_months, "max": product.max_term_months}  # type: ignore[attr-defined]
            )
        return term


class AddressForm(forms.Form):
    """The registration address asked before signing from a client registered without one."""

    address = forms.CharField(
        label=_("Registration address"),
        max_length=200,
        help_text=_(
            "As in your identity document: city or village, street, house, flat. For a legal entity: its "
            "legal address."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages={
            "required": _("Enter the full registration address: city or village, street, house and flat.")
        },
    )
