"""Form fields of the core kit: normalised values and ru/kk/en messages (R-SRV-1)."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from qaryz.core.forms import (
    IDENTIFIER_MESSAGES,
    MONEY_MESSAGES,
    BINField,
    CardNumberField,
    IBANField,
    IINField,
    MoneyField,
    PhoneField,
)


class KitForm(forms.Form):
    iin = IINField()
    bin = BINField(required=False)
    iban = IBANField(required=False)
    card = CardNumberField(required=False)
    phone = PhoneField(required=False)
    amount = MoneyField(required=False, min_value=Decimal("1000"), max_value=Decimal("500000"))


@pytest.mark.req("R-SRV-1")
def test_fields_clean_to_normalised_values():
    form = KitForm(
        data={
            "iin": "9001 0130 0017",
            "bin": "940140000385",
            "iban": "kz86 125k zt50 0410 0100",
            "card": "4111 1111 1111 1111",
            "phone": "8 (701) 234-56-78",
            "amount": "150 000,50",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "iin": "900101300017",
        "bin": "940140000385",
        "iban": "KZ86125KZT5004100100",
        "card": "4111111111111111",
        "phone": "+77012345678",
        "amount": Decimal("150000.50"),
    }


BAD = {
    "iin": "900101300018",
    "bin": "940140000386",
    "iban": "KZ87125KZT5004100100",
    "card": "4111111111111112",
    "phone": "+7 727 234 56 78",
    "amount": "10",
}

EXPECTED = {
    "ru": {"iin": "контрольная цифра", "phone": "мобильный", "amount": "не менее 1\u00a0000,00\u00a0₸"},
    "kk": {"iin": "бақылау", "phone": "ұялы", "amount": "1\u00a0000,00\u00a0₸"},
    "en": {
        "iin": "check digit does not match",
        "phone": "not a mobile number",
        "amount": "at least 1\u00a0000",
    },
}


@pytest.mark.req("R-SRV-1")
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_errors_are_clear_in_each_language(language):
    with translation.override(language):
        form = KitForm(data=BAD)
        assert not form.is_valid()
        errors = {name: " ".join(str(e) for e in errs) for name, errs in form.errors.items()}
    assert set(errors) == set(BAD)
    for field, fragment in EXPECTED[language].items():
        if language == "en" and field == "amount":
            fragment = "at least KZT 1,000.00"
        assert fragment.lower() in errors[field].lower(), (field, errors[field])


@pytest.mark.req("R-SRV-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_core_message_is_translated(language):
    messages: dict[object, object] = {}
    messages.update(IDENTIFIER_MESSAGES)
    messages.update(MONEY_MESSAGES)
    with translation.override("en"):
        english = {key: str(msg) for key, msg in messages.items()}
    with translation.override(language):
        for key, msg in messages.items():
            assert str(msg) != english[key], f"{key} is not translated to {language}"


def test_money_field_redisplays_in_the_active_language():
    field = MoneyField()
    with translation.override("ru"):
        assert field.prepare_value(Decimal("1000.5")) == "1\u00a0000,50"
    with translation.override("en"):
        assert field.prepare_value(Decimal("1000.5")) == "1,000.50"


@pytest.mark.req("R-CAB-2", "R-SRV-1")
@pytest.mark.django_db
def test_mfo_profile_bin_is_checked():
    from django.core.exceptions import ValidationError

    from qaryz.core.demo import DEMO_PROFILE
    from qaryz.core.models import MfoProfile

    MfoProfile(**DEMO_PROFILE).full_clean()
    with pytest.raises(ValidationError) as err:
        MfoProfile(**{**DEMO_PROFILE, "bin": "990140004655"}).full_clean()
    assert "bin" in err.value.message_dict
