"""Ownership matrix (R-ACC-1, R-SRV-1, R-MOB-1): client B never reaches client A's objects.

The id-taking routes are discovered from the URL resolver (cabinet pages) and the OpenAPI document
(client API operations). For each, a real object of client A is built, and client B (signed in on
the web, or with a bearer token in the API) requests it: the answer must be 403 or 404 – never a
200 with A's data, never a 5xx. As a control, A's own request of the same URL is not refused (so
the ids really are A's objects; POSTs of the control run in a rolled-back transaction).

A new id-taking route fails ``test_every_id_route_is_in_the_matrix`` until it is added to
``ROUTES`` (what object of A it needs) or to ``NOT_OBJECT_SCOPED`` (with the reason).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from qaryz.access import policy
from qaryz.api.api import api
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401

# route -> which of A's objects fills its ids (a key of the world built by ``_world``)
ROUTES: dict[str, str] = {
    # cabinet pages
    "access:key-remove": "security_key",
    "access:change-steps": "change_step",
    "devices:revoke-session": "session",
    "devices:revoke-device": "device",
    "cabinet:notification-read": "notification",
    "biometrics:frames": "liveness",
    "signatures:sign": "signing_request",
    "signatures:demo-sign": "signing_request",
    "signatures:document": "signing_request",
    "lending:application": "application",
    "lending:acknowledge": "application",
    "lending:disbursement": "application",
    "lending:submit": "application",
    "lending:contract": "application",
    "lending:contract-pdf": "application",
    "lending:sign": "application",
    "lending:contract-address": "application",
    "lending:amendment-new": "application",
    "lending:amendment": "amendment",
    "lending:amendment-pdf": "amendment",
    "lending:amendment-sign": "amendment",
    "lending:amendment-withdraw": "amendment",
    "servicing:loan": "loan",
    "servicing:payments": "loan",
    "servicing:early-repayment": "loan",
    "servicing:restructuring-new": "loan",
    "servicing:restructuring": "restructuring",
    "servicing:restructuring-pdf": "restructuring",
    "servicing:restructuring-sign": "restructuring",
    "servicing:restructuring-withdraw": "restructuring",
    "servicing:refund-request": "loan",
    "servicing:receipt": "receipt",
    "servicing:pay-card": "loan",
    "servicing:demo-acquirer": "card_order",
    "servicing:payout": "loan",
    "servicing:payout-consent": "loan",
    "servicing:payout-request": "loan",
    "correspondence:thread": "thread",
    "correspondence:reply": "thread",
    "correspondence:attachment": "attachment",
    "collections:changed-terms": "loan",
    # client API operations
    "GET /api/v1/access/changes/{step_id}": "change_step",
    "POST /api/v1/access/changes/{step_id}/phone-code": "change_step",
    "POST /api/v1/access/changes/{step_id}/signing": "change_step",
    "POST /api/v1/access/changes/{step_id}/apply": "change_step",
    "POST /api/v1/access/second-factor/keys/{key_id}/remove": "security_key",
    "POST /api/v1/biometrics/sessions/{session_id}/frames": "liveness",
    "GET /api/v1/biometrics/verifications/{verification_id}": "verification",
    "GET /api/v1/signatures/requests/{request_id}": "signing_request",
    "POST /api/v1/signatures/requests/{request_id}/submit": "signing_request",
    "GET /api/v1/applications/{application_id}/history": "application",
    "GET /api/v1/applications/{application_id}": "application",
    "GET /api/v1/applications/{application_id}/disclosures": "application",
    "POST /api/v1/applications/{application_id}/acknowledgements": "application",
    "POST /api/v1/applications/{application_id}/disbursement": "application",
    "POST /api/v1/applications/{application_id}/submit": "application",
    "GET /api/v1/applications/{application_id}/contract": "application",
    "GET /api/v1/applications/{application_id}/contract.pdf": "application",
    "POST /api/v1/applications/{application_id}/contract/signing": "application",
    "POST /api/v1/applications/{application_id}/contract/sign": "application",
    "POST /api/v1/applications/{application_id}/contract/address": "application",
    "GET /api/v1/applications/{application_id}/contract/amendments": "application",
    "POST /api/v1/applications/{application_id}/contract/amendments": "application",
    "GET /api/v1/applications/{application_id}/contract/amendments/{sequence}.pdf": "amendment",
    "GET /api/v1/applications/{application_id}/contract/amendments/{sequence}": "amendment",
    "POST /api/v1/applications/{application_id}/contract/amendments/{sequence}/signing": "amendment",
    "POST /api/v1/applications/{application_id}/contract/amendments/{sequence}/sign": "amendment",
    "POST /api/v1/applications/{application_id}/contract/amendments/{sequence}/withdraw": "amendment",
    "GET /api/v1/servicing/loans/{loan_id}": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/schedule": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/transactions": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/payments": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/how-to-repay": "loan",
    "POST /api/v1/servicing/loans/{loan_id}/early-repayment/quote": "loan",
    "POST /api/v1/servicing/loans/{loan_id}/early-repayment": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/restructurings": "loan",
    "POST /api/v1/servicing/loans/{loan_id}/restructurings": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/restructurings/{sequence}.pdf": "restructuring",
    "GET /api/v1/servicing/loans/{loan_id}/restructurings/{sequence}": "restructuring",
    "POST /api/v1/servicing/loans/{loan_id}/restructurings/{sequence}/signing": "restructuring",
    "POST /api/v1/servicing/loans/{loan_id}/restructurings/{sequence}/sign": "restructuring",
    "POST /api/v1/servicing/loans/{loan_id}/restructurings/{sequence}/withdraw": "restructuring",
    "POST /api/v1/servicing/loans/{loan_id}/refund": "loan",
    "POST /api/v1/servicing/loans/{loan_id}/card-payment": "loan",
    "GET /api/v1/servicing/loans/{loan_id}/payout": "loan",
    "POST /api/v1/servicing/loans/{loan_id}/payout": "loan",
    "POST /api/v1/servicing/loans/{loan_id}/payout/consent": "loan",
    "GET /api/v1/records/receipts/{receipt_id}.{fmt}": "receipt",
    "POST /api/v1/messages/notifications/{notification_id}/read": "notification",
    "GET /api/v1/collections/loans/{loan_id}/changed-terms": "loan",
    "POST /api/v1/collections/loans/{loan_id}/changed-terms": "loan",
    "GET /api/v1/correspondence/threads/{thread_id}": "thread",
    "POST /api/v1/correspondence/threads/{thread_id}/messages": "thread",
    "POST /api/v1/correspondence/threads/{thread_id}/attachments": "thread",
    "GET /api/v1/correspondence/threads/{thread_id}/attachments/{attachment_id}": "attachment",
    "POST /api/v1/correspondence/threads/{thread_id}/read": "thread",
    "POST /api/v1/devices/sessions/{session_id}/revoke": "session",
    "POST /api/v1/devices/{device_id}/revoke": "device",
}

# id-taking client routes whose parameter is not another client's object
NOT_OBJECT_SCOPED: dict[str, str] = {
    "access:change-start": "<purpose> names the kind of change (phone, bank account), not an object",
    "POST /api/v1/products/{code}/offers": "{code} is a public product code; offers are computed for the caller",
}

START = dt.date(2026, 12, 10)
ON = dt.date(2027, 1, 15)  # after the first instalment: a restructuring can be drafted
EMPTY_UUID = "00000000-0000-4000-8000-000000000001"


def _client_pages() -> list[tuple[str, str]]:
    found = []

    def walk(patterns, prefix, namespace):  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in policy.CHECKED_NAMESPACES:
                name = f"{namespace}:{p.name}"
                route = prefix + str(p.pattern)
                if "<" in route and policy.PAGES.get(name) == policy.CLIENT:
                    found.append((name, route))

    walk(get_resolver().url_patterns, "/", None)
    return found


def _client_operations() -> list[tuple[str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    found = []
    for path, ops in schema["paths"].items():
        for method, spec in ops.items():
            op = f"{method.upper()} {path}"
            if "{" in path and policy.API.get(op) == policy.CLIENT:
                found.append((op, spec))
    return found


@pytest.mark.req("R-ACC-1")
def test_every_id_route_is_in_the_matrix():
    discovered = {name for name, _ in _client_pages()} | {op for op, _ in _client_operations()}
    assert discovered, "no id-taking route discovered: the walk is broken"
    unknown = sorted(discovered - set(ROUTES) - set(NOT_OBJECT_SCOPED))
    stale = sorted((set(ROUTES) | set(NOT_OBJECT_SCOPED)) - discovered)
    assert unknown == [], f"add these id-taking routes to ROUTES or NOT_OBJECT_SCOPED: {unknown}"
    assert stale == [], f"these matrix entries no longer exist: {stale}"
    assert not set(ROUTES) & set(NOT_OBJECT_SCOPED)


def _at(day: dt.date):  # type: ignore[no-untyped-def]
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone()))


def _world(product) -> tuple[Any, dict[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """Client A with one object of every kind; key -> the URL parameters that name it."""
    from django.contrib.auth.hashers import make_password

    from qaryz.access import stepup
    from qaryz.access.models import ClientCredential, WebAuthnKey
    from qaryz.access.services import issue_api_token
    from qaryz.access.testing import TEST_PASSWORD, make_phone
    from qaryz.biometrics import services as biometrics
    from qaryz.correspondence.services import Upload
    from qaryz.correspondence.tests.factories import PDF, letter
    from qaryz.devices.models import Device
    from qaryz.lending import amendments
    from qaryz.lending import services as lending
    from qaryz.lending.tests.test_signing import passed_biometrics
    from qaryz.messaging.services import notify_client
    from qaryz.records.models import Receipt
    from qaryz.servicing import repayments, restructuring
    from qaryz.servicing.models import Loan, Payment
    from qaryz.servicing.tests.cob_stub import close_through
    from qaryz.servicing.tests.factories import active_loan
    from qaryz.signatures import services as signatures

    loan = active_loan(product, START)
    owner = loan.client
    Loan.objects.filter(pk=loan.pk).update(
        allocation_order=[
            "overdue_interest",
            "overdue_principal",
            "penalty",
            "current_interest",
            "current_principal",
        ]
    )
    loan = close_through(loan, ON - dt.timedelta(days=1))
    repayments.post_payment(
        loan, channel="bank", payer_reference="OWN-1", amount_tiyn=loan.interest_overdue, value_date=ON
    )
    loan = Loan.objects.get(pk=loan.pk)
    payment = Payment.objects.get(loan=loan, payer_reference="OWN-1")
    receipt = Receipt.objects.filter(document_id=payment.receipt_document_id).first() or Receipt.objects.get(
        pk=payment.receipt_document_id
    )
    draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)

    # a second, signed contract of A (before its first instalment) with an amendment drafted
    app = lending.create_application(owner, product, Decimal("200000"), 12, "annuity")
    for key in lending.ACK_KEYS:
        lending.acknowledge(app, key)
    lending.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
    lending.submit(app, monthly_income=Decimal("900000"), bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "approved", app.status
    contract = lending.prepare_contract(app)
    lending.start_signing(contract)
    passed_biometrics(owner)
    lending.complete_signing(contract)
    contract.refresh_from_db()
    amendment = amendments.request_amendment(contract, term_months=6, method="annuity")

    thread = letter(owner, attachments=[Upload("statement.pdf", PDF)])
    attachment = thread.messages.get().attachments.get()
    note = notify_client(owner, "Уведомление", "Текст", sms=False)
    _token, session = issue_api_token(owner)
    device = Device.objects.create(
        client=owner,
        public_id="own-device-1",
        jkt="j" * 43,
        public_jwk={"kty": "EC"},
        alg="ES256",
        last_seen_at=timezone.now(),
    )
    # a client with a security key has a password credential (the lending factory makes none)
    ClientCredential.objects.get_or_create(
        client=owner, defaults={"password_hash": make_password(TEST_PASSWORD)}
    )
    key = WebAuthnKey.objects.create(
        client=owner, credential_id=b"cred-1", credential_id_b64="Y3JlZC0x", public_key=b"k", name="Key"
    )
    step, _challenge = stepup.start_change(owner, "change_phone", {"phone": make_phone()})
    liveness = biometrics.start_session(owner, "contract_signing")
    verification = passed_biometrics(owner)
    request = signatures.create_signing_request(
        owner, sorted(signatures.PURPOSE_CODES)[0], PDF, title="Документ"
    )
    order = repayments.start_card_payment(loan, 1000_00)
    world = {
        "loan": {"loan_id": str(loan.pk)},
        "restructuring": {"loan_id": str(loan.pk), "sequence": str(draft.sequence)},
        "receipt": {"receipt_id": str(receipt.pk), "fmt": "pdf"},
        "application": {"application_id": str(app.pk), "key": "rules"},
        "amendment": {"application_id": str(app.pk), "sequence": str(amendment.sequence)},
        "thread": {"thread_id": str(thread.pk)},
        "attachment": {"thread_id": str(thread.pk), "attachment_id": str(attachment.pk)},
        "notification": {"notification_id": str(note.pk)},
        "session": {"session_id": str(session.pk)},
        "device": {"device_id": device.public_id},
        "security_key": {"key_id": str(key.pk)},
        "change_step": {"step_id": str(step.pk)},
        "liveness": {"session_id": str(liveness.pk)},
        "verification": {"verification_id": str(verification.pk)},
        "signing_request": {"request_id": str(request.pk)},
        "card_order": {"order_id": order.order_id},
    }
    return owner, world


def _fill(route: str, params: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in params, f"{route}: no value for {name}"
        return params[name]

    route = re.sub(r"<(?:\w+:)?(\w+)>", value, route)
    return re.sub(r"\{(\w+)\}", value, route)


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A plausible value for a JSON schema, so that the body validates and the view runs."""
    if "$ref" in schema:
        return _sample(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for combo in ("allOf", "anyOf", "oneOf"):
        if combo in schema:
            return _sample(schema[combo][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _sample(props[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    return "1" * max(1, schema.get("minLength", 1))


def _api_body(spec: dict[str, Any], components: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    content = spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"data": _sample(content["application/json"]["schema"], components)}, "application/json"
    if "multipart/form-data" in content:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from qaryz.correspondence.tests.factories import PDF

        return {"data": {"files": SimpleUploadedFile("a.pdf", PDF, "application/pdf")}}, None
    return {}, None


def _call(web: WebClient, method: str, url: str, body: dict[str, Any], content_type: str | None, **extra):  # type: ignore[no-untyped-def]
    kwargs = dict(body)
    if content_type:
        kwargs["content_type"] = content_type
    return getattr(web, method.lower())(url, **kwargs, **extra)


def _control(web: WebClient, method: str, url: str, body, content_type, **extra):  # type: ignore[no-untyped-def]
    """A's own request, rolled back (a sign or a revoke must not change the world for later routes)."""
    with transaction.atomic():
        response = _call(web, method, url, body, content_type, **extra)
        transaction.set_rollback(True)
    return response


def _leaks(response, owner) -> list[str]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8", "replace")
    return [value for value in (owner.iin, owner.phone, owner.surname) if value and value in text]


def _snapshot(owner) -> dict[str, list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Every row of A's that a refused request could have changed."""
    from django.apps import apps

    tables = {
        "access.WebAuthnKey": "client",
        "access.ClientSession": "client",
        "access.StepUp": "client",
        "devices.Device": "client",
        "messaging.Notification": "client",
        "correspondence.Thread": "client",
        "correspondence.Message": "thread__client",
        "lending.Application": "client",
        "lending.ContractAmendment": "contract__application__client",
        "servicing.Loan": "client",
        "servicing.Restructuring": "loan__client",
        "servicing.Payment": "loan__client",
        "biometrics.LivenessSession": "client",
        "signatures.SigningRequest": "client",
    }
    return {
        label: list(apps.get_model(label).objects.filter(**{field: owner}).order_by("pk").values())
        for label, field in tables.items()
    }


@pytest.mark.req("R-ACC-1", "R-SRV-1", "R-MOB-1")
@pytest.mark.django_db
def test_another_clients_objects_are_refused(lending_setup, settings):  # noqa: F811
    from qaryz.access.services import issue_api_token
    from qaryz.access.testing import sign_in_client
    from qaryz.lending.tests.factories import make_client, make_iin

    settings.DEMO_MODE = True  # the demo signer and the embedded acquirer's card page exist
    with _at(ON):
        owner, world = _world(lending_setup)
        intruder = make_client(iin=make_iin("851212", "3", 8123), surname="Другой")
        as_owner, as_intruder = WebClient(), WebClient()
        sign_in_client(as_owner, owner)
        sign_in_client(as_intruder, intruder)
        owner_token, _ = issue_api_token(owner)
        intruder_token, _ = issue_api_token(intruder)
        schema = api.get_openapi_schema()
        components = schema.get("components", {}).get("schemas", {})

        before = _snapshot(owner)
        problems: list[str] = []
        checked = 0
        for name, route in _client_pages():
            if name in NOT_OBJECT_SCOPED:
                continue
            url = _fill(route, world[ROUTES[name]])
            for method in ("GET", "POST"):
                answer = _call(as_intruder, method, url, {}, None)
                if answer.status_code == 405:
                    continue
                checked += 1
                # A POST form may answer with a redirect back: the snapshot below proves it did nothing.
                refused = (403, 404, 302) if method == "POST" else (403, 404)
                if answer.status_code not in refused or _leaks(answer, owner):
                    problems.append(f"{method} {url} ({name}) as B: {answer.status_code}")
                mine = _control(as_owner, method, url, {}, None)
                if mine.status_code in (403, 404) or mine.status_code >= 500:
                    problems.append(f"{method} {url} ({name}) as A: {mine.status_code} – not A's object?")
        for op, spec in _client_operations():
            if op in NOT_OBJECT_SCOPED:
                continue
            method, path = op.split(" ", 1)
            url = _fill(path, world[ROUTES[op]])
            body, content_type = _api_body(spec, components)
            checked += 1
            answer = _call(
                as_intruder, method, url, body, content_type, HTTP_AUTHORIZATION=f"Bearer {intruder_token}"
            )
            if answer.status_code not in (403, 404) or _leaks(answer, owner):
                problems.append(f"{op} as B: {answer.status_code} {answer.content[:120]!r}")
            mine = _control(
                as_owner, method, url, body, content_type, HTTP_AUTHORIZATION=f"Bearer {owner_token}"
            )
            if mine.status_code in (403, 404) or mine.status_code >= 500:
                problems.append(f"{op} as A: {mine.status_code} – not A's object? {mine.content[:120]!r}")
        assert _snapshot(owner) == before, "client B's requests changed client A's objects"
    assert checked >= len(ROUTES)
    assert problems == [], "\n".join(problems)
