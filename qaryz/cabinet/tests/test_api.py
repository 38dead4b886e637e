"""The cabinet shell through /api/v1/cabinet (R-CH-1): the MFO's details as on the "About the
MFO" page (R-CAB-2, Kazakh variants for kk), the profile with the payout account, the language."""

from __future__ import annotations

import pytest

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client
from qaryz.clients.models import Client
from qaryz.clients.services import set_bank_account
from qaryz.core.demo import DEMO_PROFILE
from qaryz.core.models import MfoProfile

pytestmark = pytest.mark.django_db


def _get(client, path, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(f"/api/v1/cabinet{path}", **headers)


@pytest.mark.req("R-CAB-2", "R-CH-1")
def test_mfo_details_in_the_answers_language(client):
    MfoProfile.objects.create(**DEMO_PROFILE)
    # Unconfirmed clients see them too, as on the web.
    token, _session = issue_api_token(make_client(status=Client.Status.REGISTERED))
    assert _get(client, "/mfo").status_code == 401
    ru = _get(client, "/mfo", token, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert ru["language"] == "ru"
    for field in ("legal_name", "bin", "first_head_full_name", "legal_address", "phones", "email", "website"):
        assert ru[field] == DEMO_PROFILE[field], field
    kk = _get(client, "/mfo", token, HTTP_ACCEPT_LANGUAGE="kk").json()
    assert kk["language"] == "kk" and kk["legal_name"] == DEMO_PROFILE["legal_name_kk"]
    assert kk["legal_address"] == DEMO_PROFILE["legal_address_kk"] and kk["bin"] == DEMO_PROFILE["bin"]


@pytest.mark.req("R-CH-1", "R-CAB-2")
def test_profile_and_preferred_language(client):
    person = make_client(preferred_language="ru")
    set_bank_account(person, kind="iban", value="KZ86125KZT5004100100", actor=person)
    token, _session = issue_api_token(person)
    profile = _get(client, "/profile", token).json()
    assert profile["phone"] == person.phone and profile["preferred_language"] == "ru"
    assert profile["bank_account"]["kind"] == "iban" and "KZ86125KZT5004100100" not in str(profile)
    assert profile["kind"] == "individual" and profile["kind_label"] != "individual"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    bad = client.post("/api/v1/cabinet/language", {"language": "de"}, content_type="application/json", **auth)
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error" and bad.json()["reference"]
    done = client.post(
        "/api/v1/cabinet/language", {"language": "kk"}, content_type="application/json", **auth
    )
    assert done.status_code == 200 and done.json()["preferred_language"] == "kk"
    assert Client.objects.get(pk=person.pk).preferred_language == "kk"
    # Labels now come in Kazakh when the app does not ask for a language.
    kk_label = _get(client, "/profile", token).json()["kind_label"]
    assert kk_label == _get(client, "/profile", token, HTTP_ACCEPT_LANGUAGE="kk").json()["kind_label"]
    assert kk_label != profile["kind_label"]


@pytest.mark.req("R-CH-1")
def test_an_unknown_asked_language_falls_back_to_the_clients(client):
    token, _session = issue_api_token(make_client(preferred_language="kk"))
    kk = _get(client, "/profile", token, HTTP_ACCEPT_LANGUAGE="kk").json()["status_label"]
    assert _get(client, "/profile", token, HTTP_ACCEPT_LANGUAGE="de-DE,fr;q=0.8").json()["status_label"] == kk
    en = _get(client, "/profile", token, HTTP_ACCEPT_LANGUAGE="de, en-GB;q=0.5").json()["status_label"]
    assert en != kk
