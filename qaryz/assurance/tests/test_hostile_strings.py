"""Hostile strings through every string field of every JSON operation (R-SRV-1, R-WEB-1).

Markup, bidirectional-override marks, NUL, 10,000 characters, SQL metacharacters and template or
format syntax, in Russian and Kazakh letters, are put in each string property of each JSON request
body the OpenAPI document declares (the other required fields get plausible values). Every answer is
below 500 and carries no stack trace or database error. Each call runs in a rolled-back transaction
as client A of the ownership matrix (so id-taking operations reach their objects). A letter with
markup is then stored and shown escaped in the cabinet.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as WebClient

from qaryz.access import policy
from qaryz.api.api import api
from qaryz.assurance.tests.test_ownership_matrix import ON, ROUTES, _at, _fill, _sample, _world
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401

HOSTILE = {
    "markup": '<script>alert("х")</script><img src=x onerror=alert(1)>',
    "rtl": "\u202eАбай\u200f \u202dҚазақ\u2066x\u2069",
    "nul": "пароль\x00хвост",
    "long": "Ә" * 10_000,
    "sql": "'; DROP TABLE clients_client; -- \" OR 1=1 /* \\",
    "template": "{{ 7*7 }} {% now %} %s %(x)s ${x} ӘҒҚҢӨҰҮҺІ",
}
# plausible values for the other fields, so that the hostile one is what the endpoint judges
FIELD_VALUES = {
    "kind": "individual",
    "language": "ru",
    "topic": "repayment",
    "subject": "Вопрос",
    "body": "Когда следующий платёж?",
    "method": "annuity",
    "product": "online",
    "amount": "300000",
    "term_months": 12,
    "address": "г. Алматы, ул. Абая, 10, кв. 5",
    "surname": "Тестов",
    "given_name": "Тест",
    "wish": "Прошу отсрочку",
    "explanation": "Временная потеря дохода",
    "reason": "Смена дня зарплаты",
    "name": "Мой телефон",
    "mode": "full",
    "purpose": "change_phone",
    "monthly_income": "700000",
    "bureau_consent": True,
    "iban": "KZ86125KZT5004100100",
}
LEAK_MARKERS = ("Traceback", "psycopg", "sqlite3", "IntegrityError", "syntax error at", 'File "/')


def _string_fields(schema: dict[str, Any], components: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    props = schema.get("properties", {})

    def is_string(prop: dict[str, Any]) -> bool:
        options = prop.get("anyOf", [prop])
        return any(o.get("type") == "string" for o in options)

    return schema, [name for name, prop in props.items() if is_string(prop)]


def _json_operations() -> list[tuple[str, str, dict[str, Any], list[str]]]:
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, ops in schema["paths"].items():
        for method, spec in ops.items():
            op = f"{method.upper()} {path}"
            content = spec.get("requestBody", {}).get("content", {})
            if "application/json" not in content or policy.API.get(op) not in (policy.PUBLIC, policy.CLIENT):
                continue
            body_schema, fields = _string_fields(content["application/json"]["schema"], components)
            if fields:
                base = _sample(body_schema, components)
                props = body_schema.get("properties", {})
                base.update({k: v for k, v in FIELD_VALUES.items() if k in props})
                found.append((op, path, base, fields))
    return found


API = "/api/v1/access"


def _live(op: str, owner: Any, web: WebClient) -> dict[str, Any]:
    """Values of the other fields that take the hostile one past the first gate: the owner's real
    phone, IIN and password, a live challenge, the token the previous step gives (each made before
    the operation's rolled-back calls, so every call meets the same state)."""
    from qaryz.access import stepup
    from qaryz.access.consent import consent_text, text_sha256
    from qaryz.access.models import OtpChallenge
    from qaryz.access.services import begin_client_login
    from qaryz.access.testing import TEST_PASSWORD, last_sms_code, make_iin, make_phone

    OtpChallenge.objects.update(last_sent_at=None)  # no resend pause between the operations

    def registration() -> tuple[str, str]:
        phone = make_phone()
        started = web.post(
            f"{API}/register",
            {**FIELD_VALUES, **_registrant(phone, make_iin(), text_sha256(consent_text("ru")))},
            content_type="application/json",
        )
        assert started.status_code == 200, started.content
        return started.json()["challenge_id"], phone

    if op == f"POST {API}/register":
        return _registrant(make_phone(), make_iin(), text_sha256(consent_text("ru")))
    if op in (f"POST {API}/register/verify", f"POST {API}/otp/resend"):
        return {"challenge_id": registration()[0]}
    if op == f"POST {API}/register/complete":
        challenge_id, phone = registration()
        verified = web.post(
            f"{API}/register/verify",
            {"challenge_id": challenge_id, "code": last_sms_code(phone)},
            content_type="application/json",
        )
        assert verified.status_code == 200, verified.content
        return {
            "registration_token": verified.json()["registration_token"],
            "password": "Kokzhiek-Sunrise-47",
        }
    if op == f"POST {API}/login":
        return {"phone": owner.phone, "password": TEST_PASSWORD}
    if op == f"POST {API}/password":
        return {"current": TEST_PASSWORD}
    if op in (f"POST {API}/login/verify", f"POST {API}/login/key/options", f"POST {API}/login/key/verify"):
        return {"challenge_id": begin_client_login(owner).public_id}
    if op == f"POST {API}/recover":
        return {"phone": owner.phone, "id_number": owner.iin}
    if op == f"POST {API}/recover/verify":
        return {"challenge_id": stepup.start_recovery(owner.phone, owner.iin).public_id}
    if op == f"POST {API}/changes/{{step_id}}/phone-code":
        return {"challenge_id": OtpChallenge.objects.filter(purpose="change_phone").latest("id").public_id}
    return {}


def _english_refusal(answer: Any) -> bool:
    """A refusal the app shows its client (``detail`` of an ``error`` body) with no Cyrillic letter:
    the calls are in Russian (LANGUAGE_CODE), so it is an English sentence on a Russian screen."""
    if answer.status_code < 400 or "application/json" not in answer.get("Content-Type", ""):
        return False
    body = answer.json()
    detail = body.get("detail") if isinstance(body, dict) and body.get("error") == "error" else None
    return isinstance(detail, str) and re.search("[а-яА-ЯёЁ]", detail) is None


def _registrant(phone: str, iin: str, consent_sha256: str) -> dict[str, Any]:
    return {"phone": phone, "iin": iin, "pd_consent": True, "consent_sha256": consent_sha256}


@pytest.mark.req("R-SRV-1")
@pytest.mark.django_db
def test_hostile_strings_in_every_json_field_never_break_the_server(lending_setup, settings):  # noqa: F811
    from qaryz.access.services import issue_api_token

    settings.DEMO_MODE = True
    operations = _json_operations()
    assert len(operations) >= 20, "the OpenAPI walk found too few JSON operations"
    problems: list[str] = []
    calls = 0
    with _at(ON):
        owner, world = _world(lending_setup)
        token, _ = issue_api_token(owner)
        web = WebClient(HTTP_AUTHORIZATION=f"Bearer {token}")
        for op, path, base, fields in operations:
            method = op.split(" ", 1)[0].lower()
            url = _fill(path, world[ROUTES[op]]) if op in ROUTES else path
            if "{" in url:  # an id the matrix does not scope (a product code): any value will do
                url = url.replace("{code}", "online")
            base = {**base, **_live(op, owner, web)}
            for field in fields:
                for label, value in HOSTILE.items():
                    body = {**base, field: value}
                    calls += 1
                    with transaction.atomic():
                        answer = getattr(web, method)(
                            url, data=json.dumps(body), content_type="application/json"
                        )
                        transaction.set_rollback(True)
                    text = answer.content.decode("utf-8", "replace")
                    if answer.status_code >= 500 or any(m in text for m in LEAK_MARKERS):
                        problems.append(f"{op} {field}={label}: {answer.status_code} {text[:160]}")
                    if _english_refusal(answer):
                        problems.append(f"{op} {field}={label}: refused in English: {text[:160]}")
    assert calls > 100
    assert problems == [], "\n".join(problems)


@pytest.mark.req("R-SRV-1", "R-CAB-7")
@pytest.mark.django_db
def test_a_letter_with_markup_and_marks_is_stored_as_written_and_shown_escaped(lending_setup):  # noqa: F811
    from qaryz.access.services import issue_api_token
    from qaryz.access.testing import sign_in_client
    from qaryz.correspondence.models import Message
    from qaryz.lending.tests.factories import make_client

    person = make_client()
    token, _ = issue_api_token(person)
    api_client = WebClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = HOSTILE["markup"] + " " + HOSTILE["rtl"] + " " + HOSTILE["sql"]
    answer = api_client.post(
        "/api/v1/correspondence/threads",
        data=json.dumps({"subject": HOSTILE["markup"][:60], "topic": "repayment", "body": body}),
        content_type="application/json",
    )
    assert answer.status_code in (200, 201), answer.content
    thread_id = answer.json()["id"]
    stored = Message.objects.get(thread_id=thread_id)
    assert "<script>" in stored.body and "DROP TABLE" in stored.body  # kept as text, not mangled
    web = WebClient()
    sign_in_client(web, person)
    page = web.get(f"/messages/{thread_id}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    nul = api_client.post(
        "/api/v1/correspondence/threads",
        data=json.dumps({"subject": "Тема", "topic": "repayment", "body": HOSTILE["nul"]}),
        content_type="application/json",
    )
    assert nul.status_code < 500
    if nul.status_code in (200, 201):
        assert "\x00" not in Message.objects.get(thread_id=nul.json()["id"]).body


@pytest.mark.req("R-SRV-1", "R-ONB-1")
@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_hostile_names_at_registration_are_refused_clearly_or_accepted(client, language):
    """Names and the address at registration, with a valid IIN, phone and consent: each hostile
    string is either accepted (the SMS challenge starts) or refused with a clear 4xx message in the
    asked language – never a 500 or a trace."""
    from qaryz.access.consent import consent_text, text_sha256
    from qaryz.access.testing import make_iin, make_phone

    sha = text_sha256(consent_text(language))
    cases = [("surname", "control", "Сапарова")] + [
        (field, label, value)
        for field in ("surname", "given_name", "patronymic", "address")
        for label, value in HOSTILE.items()
    ]
    outcomes: dict[str, int] = {}
    for field, label, value in cases:
        body = {
            "kind": "individual",
            "iin": make_iin(),
            "surname": "Сапарова",
            "given_name": "Айжан",
            "phone": make_phone(),
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
            "language": language,
            "pd_consent": True,
            "consent_sha256": sha,
            field: value,
        }
        answer = client.post("/api/v1/access/register", body, content_type="application/json")
        text = answer.content.decode("utf-8", "replace")
        assert answer.status_code < 500 and not any(m in text for m in LEAK_MARKERS), (field, label, text)
        if answer.status_code >= 400:
            assert answer.json().get("detail"), (field, label, text)
        outcomes[f"{field}={label}"] = answer.status_code
    # the markup and SQL strings are not names: refused; ordinary Kazakh letters are not the problem
    assert outcomes["surname=control"] == 200  # the same body with an ordinary name starts the SMS step
    assert outcomes["surname=markup"] >= 400 and outcomes["surname=sql"] >= 400
    assert outcomes["surname=nul"] == 400 and outcomes["surname=long"] in (400, 422)
