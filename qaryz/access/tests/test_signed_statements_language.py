"""The statements a client signs with the EDS – at registration and to change the phone or bank
details – are in the interface language (ru, kk, en), never English on a Russian page (issue 11)."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.utils import translation

from qaryz.access import stepup
from qaryz.access.models import StepUp
from qaryz.access.testing import make_client, sign_in_client
from qaryz.clients.models import Client
from qaryz.signatures.models import SigningRequest

pytestmark = pytest.mark.django_db

EXPECTED = {
    "ru": [
        "Регистрация в личном кабинете",
        "Я подтверждаю, что указанные выше данные принадлежат мне",
        "Дата и время:",
    ],
    "kk": [
        "жеке кабинетінде тіркелу",
        "деректер маған тиесілі және дұрыс екенін растаймын",
        "Күні мен уақыты:",
    ],
    "en": [
        "Registration in the personal cabinet",
        "I confirm that the data above are mine",
        "Date and time:",
    ],
}
ENGLISH = re.compile(r"\b(Registration|Client|Phone|I confirm|Date|Request|Change the)\b")


def strings(value: object) -> str:
    """Every string inside the signed JSON envelope, joined."""
    if isinstance(value, dict):
        return " ".join(strings(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(strings(v) for v in value)
    return str(value)


@pytest.mark.req("R-ONB-4")
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_registration_statement_follows_the_interface_language(client, language):
    person = make_client(status=Client.Status.REGISTERED)
    sign_in_client(client, person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post("/register/finish/sign/")
    signing_request = SigningRequest.objects.get(client=person, purpose="registration")
    assert response["Location"].startswith(f"/signatures/sign/{signing_request.pk}/")
    text = bytes(signing_request.document).decode()
    assert text in strings(json.loads(bytes(signing_request.payload)))  # the statement is what is signed
    for phrase in EXPECTED[language]:
        assert phrase in text, phrase
    assert person.iin in text and person.phone in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text)  # the time as dd.mm.yyyy hh:mm:ss
    if language != "en":
        assert not ENGLISH.search(text), ENGLISH.search(text)
        assert not ENGLISH.search(signing_request.title), signing_request.title


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_change_request_statement_is_not_english_on_ru_kk(language):
    person = make_client()
    step = StepUp.objects.create(
        client=person, purpose=StepUp.Purpose.CHANGE_PHONE, payload={"phone": "+77001112233"}
    )
    with translation.override(language):
        text = stepup.change_document(step).decode()
    assert "+77001112233" in text and person.phone in text
    assert not ENGLISH.search(text), text
    with translation.override("en"):
        assert "Change the registered mobile number" in stepup.change_document(step).decode()
