from typing import Any

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


# --- workbench filters (GET forms; bad input shows the field's message, the list stays unfiltered) ---
def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _choices(all_label: Any, choices: list) -> list:
    return [("", all_label), *choices]


class ClientFilterForm(forms.Form):
    q = forms.CharField(label=_("IIN, BIN, phone or name"), required=False, max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    since = _date(_("Registered from"))
    until = _date(_("Registered to"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from qaryz.clients.models import Client

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _choices(_("Any"), list(Client.Kind.choices))
        self.fields["status"].choices = _choices(_("Any"), list(Client.Status.choices))


class ApplicationFilterForm(forms.Form):
    q = forms.CharField(label=_("Number, IIN/BIN or name"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Status"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)
    since = _date(_("Created from"))
    until = _date(_("Created to"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from qaryz.backoffice.selectors import product_codes
        from qaryz.lending.models import Application

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(_("Any"), list(Application.Status.choices))
        self.fields["product"].choices = _choices(_("Any"), product_codes())


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Contract number, IIN/BIN or name"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Status"), required=False)
    since = _date(_("Created from"))
    until = _date(_("Created to"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from qaryz.lending.models import Contract

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(_("Any"), list(Contract.Status.choices))


class LoanFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Contract number, payment reference or IIN/BIN"), required=False, max_length=50
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    bucket = forms.TypedChoiceField(label=_("Days past due"), required=False, coerce=int, empty_value=None)
    product = forms.ChoiceField(label=_("Product"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from qaryz.backoffice.selectors import bucket_label, product_codes
        from qaryz.servicing.close_of_day import dpd_thresholds
        from qaryz.servicing.models import Loan

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(_("Any"), list(Loan.Status.choices))
        self.fields["bucket"].choices = _choices(
            _("Any"), [(str(b), bucket_label(b)) for b in range(len(dpd_thresholds()) + 1)]
        )
        self.fields["product"].choices = _choices(_("Any"), product_codes())


class PeriodForm(forms.Form):
    """A report's period: local days, inclusive; at most about three years."""

    GRAINS = [("day", _("by day")), ("week", _("by week")), ("month", _("by month"))]
    MAX_DAYS = 1100

    since = _date(_("Date from"))
    until = _date(_("Date to"))
    grain = forms.ChoiceField(label=_("Periods"), required=False, choices=[("", _("automatic")), *GRAINS])

    def clean(self) -> dict:
        import datetime as dt

        from django.utils import timezone

        data = super().clean()
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or (until - dt.timedelta(days=29))
        if since > until:
            self.add_error("until", _("The end of the period is before its start."))
        elif (until - since).days > self.MAX_DAYS:
            self.add_error("since", _("Choose a period of at most three years."))
        data["since"], data["until"] = since, until
        days = (until - since).days
        data["grain"] = data.get("grain") or ("day" if days <= 14 else "week" if days <= 92 else "month")
        return data


class LedgerPeriodForm(PeriodForm):
    grain = None  # the journal is not grouped
