"""The API's refusals are worded in the request's language (the app shows ``detail`` to its client;
``error`` stays the stable code): "not found" for another client's object, and the servicing,
lending and signing refusals that used to be English on every screen."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client, make_iin
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401 – fixtures
from qaryz.servicing.tests.test_restructuring import ON, _at, late_loan  # noqa: F401 – the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-CH-1", "R-SRV-1")]


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _post(client, token: str, path: str, body: dict, language: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1{path}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_refusals_are_in_the_request_language(client, late_loan, language):  # noqa: F811
    loan = late_loan
    with _at(ON):
        stranger, _session = issue_api_token(make_client(iin=make_iin("800606")))
        foreign = client.get(
            f"/api/v1/servicing/loans/{loan.pk}",
            HTTP_AUTHORIZATION=f"Bearer {stranger}",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert foreign.status_code == 404
        assert foreign.json() | {"reference": ""} == {
            "error": "error",
            "reference": "",
            "detail": _in(language, "Not found."),
        }
        token, _session = issue_api_token(loan.client)
        partial = _post(
            client,
            token,
            f"/servicing/loans/{loan.pk}/early-repayment/quote",
            {"mode": "shorter_term"},
            language,
        )
        assert partial.status_code == 422
        assert partial.json()["detail"] == "amount: " + _in(
            language, "Enter the amount of a partial repayment."
        )
        unknown = _post(
            client,
            token,
            "/applications",
            {"product": "no-such", "amount": "300000", "term_months": 12, "method": "annuity"},
            language,
        )
        assert unknown.status_code == 422
        assert unknown.json()["detail"] == "product: " + _in(language, "No such product is offered.")
    if language != "en":  # the catalogue really has them (not the English text passed through)
        assert _in(language, "Not found.") != "Not found."
        assert _in(language, "No such product is offered.") != "No such product is offered."


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_schema_checks_are_worded_in_the_request_language(client, language):
    """The 422 of the schema check names the field (``loc``) and says what is wrong in the
    request's language; the error code stays ``validation_error``."""
    answer = client.post(
        "/api/v1/schedules/preview",
        data=json.dumps({"amount": "1000.001", "term_months": 12, "method": "balloon"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 422 and answer.json()["error"] == "validation_error"
    said = {item["loc"][-1]: item["msg"] for item in answer.json()["detail"]}
    assert said["annual_rate_percent"] == _in(language, "This field is required.")
    with translation.override(language):
        assert said["amount"] == translation.gettext(
            "Enter at most %(decimal_places)s digits after the point."
        ) % {"decimal_places": "2"}
    assert said["method"].startswith(_in(language, "Choose one of: %(expected)s.").split("%")[0])
    if language != "en":
        assert _in(language, "This field is required.") != "This field is required."
