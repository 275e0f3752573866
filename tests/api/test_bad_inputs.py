"""No 5xx from any input: dates outside the supported years, absurd decimal exponents, a non-ASCII API key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    settings = fake_settings.model_copy(update={"api_keys": ["test-key"]})
    with TestClient(create_app(settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    "question",
    ["9999年12月31日受理的专线最晚哪天开通", "起租日是0001年1月1日，合同几号到期", "9999年12月的账单计费周期",
     "起租日是9999年12月31日，合同几号到期"],
)
def test_a_date_outside_the_supported_years_is_explained(client, question):
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 200
    body = r.json()
    assert body["intent"] == "clarify" and ("1900" in body["answer"] or "年份" in body["answer"])


@pytest.mark.parametrize(
    ("name", "inputs", "field"),
    [
        ("contract_term", {"start_on": "9999-12-31"}, "start_on"),
        ("billing_cycle", {"month": "9999-12"}, "month"),
        ("activation_deadline", {"accepted_on": "0001-01-01"}, "accepted_on"),
        ("service_restore_deadline", {"paid_at": "9999-12-31T23:00"}, "paid_at"),
        ("late_fee", {"owed": "1e-999999", "days_overdue": 3}, "owed"),
        ("outage_credit", {"outage_hours": "1e-99999", "monthly_fee": 100}, "outage_hours"),
    ],
)
def test_calculator_inputs_out_of_range_are_422_with_a_short_body(client, name, inputs, field):
    r = client.post(f"/v1/calculators/{name}", json=inputs)
    assert r.status_code == 422 and len(r.content) < 1000
    assert r.json()["error"]["field"] == field


def test_a_non_ascii_api_key_is_simply_not_one_of_ours(client):
    r = client.post("/v1/ivr/turn", json={"call_id": "c1", "transcript": "你好"}, headers=[(b"x-api-key", "ключ".encode())])
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
