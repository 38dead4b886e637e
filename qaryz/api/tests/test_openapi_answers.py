"""Every answer the API gives is in its OpenAPI document, with a body matching the declared schema
(issue 11, item 11). The walker calls each operation unauthenticated, with a malformed body and with a
NUL in the query string, and checks status and body against the document."""

from __future__ import annotations

import uuid

import jsonschema
import pytest

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client

pytestmark = pytest.mark.django_db


def _document(client) -> dict:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def _url(path: str, op: dict) -> str:
    for param in op.get("parameters", []):
        if param.get("in") != "path":
            continue
        kind = param.get("schema", {})
        if kind.get("format") == "uuid":
            value = str(uuid.uuid4())
        elif kind.get("type") == "integer":
            value = "987654"
        elif param["name"] == "fmt":
            value = "json"
        else:
            value = "no-such-thing"
        path = path.replace("{" + param["name"] + "}", value)
    return path


def _check(doc: dict, method: str, path: str, op: dict, answer) -> None:
    responses = op["responses"]
    status = str(answer.status_code)
    assert status in responses, f"{method.upper()} {path}: {status} not documented ({sorted(responses)})"
    assert answer.status_code != 500, f"{method.upper()} {path}: 500"
    content = responses[status].get("content", {}).get("application/json")
    if content is None or not answer.get("Content-Type", "").startswith("application/json"):
        return
    schema = {**content["schema"], "components": doc["components"]}
    jsonschema.validate(answer.json(), schema, cls=jsonschema.Draft202012Validator)


def _operations(doc: dict):
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            yield path, method, op


def _call(client, method: str, url: str, body=None, **headers):
    if method == "get":
        return client.get(url, **headers)
    return client.generic(
        method.upper(), url, b"[]" if body is None else body, content_type="application/json", **headers
    )


def test_every_operation_documents_its_error_answers(client) -> None:
    doc = _document(client)
    assert doc["components"]["schemas"]["ErrorOut"]["required"] == ["error", "reference"]
    for path, method, op in _operations(doc):
        codes = set(op["responses"]) | {str(c) for c in op["responses"]}
        assert {"400", "500"} <= codes, (method, path)
        if op.get("security"):
            assert "401" in codes, (method, path)
        if op.get("requestBody") or op.get("parameters"):
            assert "422" in codes, (method, path)


def test_unauthenticated_calls_answer_as_documented(client) -> None:
    doc = _document(client)
    for path, method, op in _operations(doc):
        if not op.get("security"):
            continue
        answer = _call(client, method, _url(path, op))
        assert answer.status_code == 401, (method, path, answer.status_code)
        _check(doc, method, path, op, answer)


def test_malformed_bodies_and_unknown_ids_answer_as_documented(client) -> None:
    doc = _document(client)
    token, _session = issue_api_token(make_client())
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for path, method, op in _operations(doc):
        url = _url(path, op)
        for body in (b"[]", b'{"unexpected": 1}', b"not json"):
            answer = _call(client, method, url, body, **(bearer if op.get("security") else {}))
            _check(doc, method, path, op, answer)


def test_a_nul_in_the_query_string_is_a_documented_400_everywhere(client) -> None:
    doc = _document(client)
    for path, method, op in _operations(doc):
        answer = _call(client, method, _url(path, op) + "?q=%00")
        assert answer.status_code == 400, (method, path, answer.status_code)
        _check(doc, method, path, op, answer)


def test_a_refused_signature_and_a_validation_error_both_match_the_declared_422(client) -> None:
    doc = _document(client)
    op = doc["paths"]["/api/v1/signatures/requests/{request_id}/submit"]["post"]
    schema = op["responses"]["422"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/ErrorOut"} in schema["anyOf"]
