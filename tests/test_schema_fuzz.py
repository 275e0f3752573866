"""Schema fuzzing: every documented operation, driven in-process by schemathesis, must never answer 5xx and
must answer only with a documented status code and a body matching that status code's documented schema.

The requests go to `create_app(fake_settings, fake_assistant)` (an Assistant on the fake embedder, no real
model) through schemathesis's ASGI transport, so nothing listens on a port. Hypothesis is bounded and
derandomized, so a CI run is reproducible and takes well under a minute.

The operations are collected from the schema of an app built without an Assistant (building the schema
never touches it); the fixture asserts that the fuzzed app publishes the very same schema. schemathesis's
lazy `from_fixture` loader is not used because it sets `Node._nodeid`, which pytest 9 no longer has.

Direct tests pin the statuses the fuzzer reaches only rarely: a body that is not UTF-8 (422), a body over
max_body_bytes (413) and a client over its budget (429) must each answer a status the operation documents.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from assistant.api.app import create_app
from assistant.api.guard import EXEMPT_PATHS
from assistant.settings import Settings

API_KEY = "fuzz-key"
HEADERS = {"X-API-Key": API_KEY}

# Values for path parameters in the direct reproductions.
PATH_PARAMS = {"{name}": "line_fee", "{clause_id}": "M-9"}

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
POST_PATHS = sorted(p for p, ops in schema.raw_schema["paths"].items() if "post" in ops)
OPERATIONS = sorted(
    (method.upper(), path)
    for path, ops in schema.raw_schema["paths"].items()
    for method in ops
    if path not in EXEMPT_PATHS
)


def _url(path: str) -> str:
    """The path template with sample values for its parameters."""
    for template, value in PATH_PARAMS.items():
        path = path.replace(template, value)
    return path


def _documented(method: str, path: str) -> list[str]:
    """The status codes the schema documents for an operation."""
    return list(schema.raw_schema["paths"][path][method.lower()]["responses"])


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(fake_settings, fake_assistant):
    """The app under test, with an IVR key configured so IVR cases get past the 401."""
    # Budgets the fuzzing never exhausts: how many requests it sends depends on the operations and examples.
    unlimited = {"api_keys": [API_KEY], "rate_per_minute_ip": 10**9, "rate_per_minute_key": 10**9}
    app = create_app(fake_settings.model_copy(update=unlimited), fake_assistant)
    assert app.openapi() == schema.raw_schema, "the fuzzed app must publish the schema the cases come from"
    return app


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixture is module-scoped and read-only, so reusing it across examples is intended.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, fuzz_app):
    # The key goes on every operation: only /v1/ivr/turn reads it, and without it every IVR case stops at 401.
    case.call_and_validate(app=fuzz_app, headers=HEADERS, checks=CHECKS)


@pytest.mark.parametrize("path", POST_PATHS)
def test_non_utf8_body_gets_a_documented_status(path, fuzz_app):
    with TestClient(fuzz_app) as client:
        r = client.post(_url(path), content=b"\xff", headers={**HEADERS, "Content-Type": "application/json"})
    assert str(r.status_code) in _documented("POST", path), f"{r.status_code} {r.text}"


@pytest.mark.parametrize("path", POST_PATHS)
def test_oversized_body_gets_a_documented_status(path, fuzz_app, fake_settings):
    body = b'{"question": "' + b"x" * fake_settings.max_body_bytes + b'"}'
    with TestClient(fuzz_app) as client:
        r = client.post(_url(path), content=body, headers={**HEADERS, "Content-Type": "application/json"})
    assert r.status_code != 200, "the oversized body was accepted"
    assert str(r.status_code) in _documented("POST", path), f"{r.status_code} {r.text}"


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_rate_limited_request_gets_a_documented_status(method, path, fake_settings, fake_assistant):
    # Its own app with a budget of one request a minute: the second request is over it whatever it is.
    app = create_app(fake_settings.model_copy(update={"rate_per_minute_ip": 1}), fake_assistant)
    with TestClient(app) as client:
        client.get("/v1/calculators")
        r = client.request(method, _url(path), json={"question": "云专线可以暂停吗"} if method == "POST" else None)
    assert r.status_code != 200, "the request over budget was served"
    assert str(r.status_code) in _documented(method, path), f"{r.status_code} {r.text}"
