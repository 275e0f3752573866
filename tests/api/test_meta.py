"""GET /v1/meta: the facts front ends used to copy (hotlines, the length limit, clause names) come from the server."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from assistant.answer.assistant import MAX_QUESTION
from assistant.api.app import create_app
from assistant.settings import Settings


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def test_meta_has_the_documented_shape(client, corpus):
    r = client.get("/v1/meta")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"hotlines", "max_question_chars", "clauses", "handoff"}
    assert body["hotlines"][0] == {"name": "联通客服热线", "number": "10010"}
    assert {"name": "沃云客服热线", "number": "4000111000"} in body["hotlines"]
    assert body["max_question_chars"] == MAX_QUESTION == 500
    assert body["handoff"] == {"url": None, "number": None}
    assert [c["id"] for c in body["clauses"]] == corpus.ids
    m23 = next(c for c in body["clauses"] if c["id"] == "M-23")
    assert set(m23) == {"id", "name", "topic"}
    assert m23["name"] == "主协议第二十三条" and m23["topic"]


def test_meta_says_the_configured_handoff(fake_assistant):
    settings = fake_assistant.settings.model_copy(
        update={"handoff_url": "https://example.com/chat", "handoff_number": "400-011-1000"}
    )
    assistant = type(fake_assistant)(fake_assistant.knowledge, fake_assistant.retriever, settings, scope=fake_assistant.scope)
    assert assistant.meta().handoff.model_dump() == {"url": "https://example.com/chat", "number": "400-011-1000"}


@pytest.mark.parametrize(
    "field,value",
    [("handoff_url", "javascript:alert(1)"), ("handoff_url", "//evil.example"), ("handoff_number", "call me"), ("hotline", "")],
)
def test_a_bad_handoff_or_hotline_is_refused_with_its_name(field, value):
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})
