import threading

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from assistant.answer.sessions import MemorySessionStore
from assistant.api.app import create_app
from assistant.embedding.queries import QueryEncoder
from assistant.models import Answer


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ask_returns_the_documented_shape(client):
    r = client.post("/v1/ask", json={"question": "80端口和443端口为什么打不开，要备案吗", "channel": "agent"})
    assert r.status_code == 200
    body = r.json()
    # The API is a contract with other teams: fields are added (summary, options, session_started,
    # session_notice, then turn and pending), never changed or removed.
    assert set(body) == {
        "session_id", "intent", "answer", "citations", "calculation", "summary", "options", "session_started",
        "session_notice", "turn", "pending",
    }
    assert body["turn"] == 1 and body["pending"] is None
    assert body["session_started"] is True and body["session_notice"] is None
    assert body["intent"] == "lookup"
    assert body["session_id"]
    assert 1 <= len(body["citations"]) <= 5
    assert set(body["citations"][0]) == {"clause_id", "title", "text", "quote", "score"}
    assert all(part in body["citations"][0]["text"] for part in body["citations"][0]["quote"].split("……"))
    assert 0 < len(body["summary"]) <= 40 and body["options"] == []


def test_summary_and_options_are_in_the_openapi_schema(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"summary", "options"} <= set(schema["Answer"]["properties"])
    assert set(schema["Option"]["properties"]) == {"label", "question", "clause_ids"}


def test_an_ambiguous_question_offers_options_that_answer_as_they_stand(client):
    first = client.post("/v1/ask", json={"question": "违约金多少？", "channel": "widget"}).json()
    assert first["intent"] == "clarify" and 2 <= len(first["options"]) <= 5
    pick = first["options"][0]
    chosen = client.post("/v1/ask", json={"question": pick["question"], "session_id": first["session_id"]}).json()
    assert chosen["intent"] != "out_of_scope" and set(pick["clause_ids"]) & {c["clause_id"] for c in chosen["citations"]}


def test_an_issued_session_id_is_kept(client):
    first = client.post("/v1/ask", json={"question": "开户费多少钱"}).json()
    again = client.post("/v1/ask", json={"question": "开户费含税吗", "session_id": first["session_id"]}).json()
    assert again["session_id"] == first["session_id"]
    assert again["session_started"] is False and again["session_notice"] is None


def test_a_client_chosen_session_id_starts_a_new_session(client):
    # Changed deliberately by issue 12: the server used to adopt any id the client sent ("abc-123").
    r = client.post("/v1/ask", json={"question": "开户费多少钱", "session_id": "abc-123"}).json()
    assert r["session_id"] != "abc-123" and len(r["session_id"]) >= 32
    assert r["session_started"] is True and r["session_notice"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"question": ""}, "question"),
        ({"question": "x" * 501}, "question"),
        ({}, "question"),
        ({"question": "开户费", "channel": "fax"}, "channel"),
        ({"question": "开户费", "session_id": "bad id!"}, "session_id"),
        ({"question": "开户费", "extra": 1}, "extra"),
    ],
)
def test_invalid_requests_get_422_naming_the_field(client, payload, field):
    r = client.post("/v1/ask", json=payload)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and field in err["message"]


def test_malformed_json_is_422_not_500(client):
    r = client.post("/v1/ask", content=b"{oops", headers={"content-type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize("question", ["   ", "\x00\x07\u200b", "\n\t"])
def test_blank_question_after_cleaning_is_422(client, question):
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 422
    assert "question" in r.json()["error"]["message"]


def test_question_is_folded_and_cleaned_before_the_length_check(client):
    # 500 full-width characters plus padding: NFKC and trimming make it valid.
    r = client.post("/v1/ask", json={"question": "  " + "开户费多少钱\x07" + "Ａ" * 490 + "  "})
    assert r.status_code == 200


def test_readyz_reports_model_and_index(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["clauses"] == 121


def test_clauses_list_and_one_clause(client):
    all_ = client.get("/v1/clauses").json()
    assert len(all_) == 121 and all_[0]["id"] == "M-1"
    one = client.get("/v1/clauses/A1-4.5").json()
    assert one["name"] == "附件一第4.5条" and "3‰" in one["text"]


def test_unknown_clause_is_404_naming_valid_ids(client):
    r = client.get("/v1/clauses/M-99")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "clause_not_found" and "M-49" in err["valid"]


def test_unknown_route_is_json_404(client):
    r = client.get("/nope")
    assert r.status_code == 404 and "error" in r.json()


def test_answers_run_on_the_configured_number_of_threads(fake_settings, fake_assistant):
    settings = fake_settings.model_copy(update={"worker_threads": 3})
    with TestClient(create_app(settings, fake_assistant)) as c:
        limit = c.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
        assert limit == 3
        assert c.post("/v1/ask", json={"question": "月租多少"}).status_code == 200


def test_answer_body_is_the_answer_model_serialised_once(client):
    r = client.post("/v1/ask", json={"question": "欠费5000元逾期10天违约金多少"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    answer = Answer.model_validate_json(r.content)
    assert answer.intent == "calculation" and answer.calculation is not None
    assert r.content.decode() == answer.model_dump_json()


def _record_threads(monkeypatch, assistant) -> list[str]:
    """Names of the threads each Assistant.ask call starts on, in call order."""
    threads: list[str] = []
    real_ask = assistant.ask

    def ask(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(assistant, "ask", ask)
    return threads


POOL = "AnyIO worker thread"


def _fresh_encoder(monkeypatch, assistant, batch_size: int) -> list[str]:
    """An empty, uncached query encoder for the assistant; returns the names of the threads that encode."""
    encoding: list[str] = []
    embedder = assistant.retriever.embedder

    class Recording:
        model_id, dim = embedder.model_id, embedder.dim

        def encode_queries(self, texts):
            encoding.append(threading.current_thread().name)
            return embedder.encode_queries(texts)

    queries = QueryEncoder(Recording(), cache_size=0, batch_size=batch_size, wait_ms=2.0)
    monkeypatch.setattr(assistant.retriever, "queries", queries)
    return encoding


def test_calculations_run_on_the_loop_and_lookups_encode_in_a_shared_batch(fake_settings, fake_assistant, monkeypatch):
    # Changed by issue 13: a lookup no longer moves to the thread pool; its encode runs on the batcher's thread
    # (shared with concurrent lookups) and the answer is finished on the loop with the vector in hand.
    threads = _record_threads(monkeypatch, fake_assistant)
    encoding = _fresh_encoder(monkeypatch, fake_assistant, batch_size=16)
    with TestClient(create_app(fake_settings, fake_assistant)) as c:
        calc = c.post("/v1/ask", json={"question": "欠费5000元逾期10天违约金多少"})
        assert calc.json()["intent"] == "calculation"
        assert len(threads) == 1 and threads[0] != POOL  # no model needed: answered on the event loop
        assert encoding == []
        threads.clear()
        lookup = c.post("/v1/ask", json={"question": "80端口为什么打不开，要备案吗"}).json()
        assert lookup["intent"] == "lookup"
        assert len(threads) == 2 and POOL not in threads  # stopped at the encode, then answered with its vector
        assert encoding == ["encode-batcher"]
    # The attempt that stopped wrote nothing: one turn and one audit record.
    sid = lookup["session_id"]
    assert fake_assistant.sessions.get(sid).turns == 1
    assert fake_assistant.audit.find(sid, 1) is not None
    assert fake_assistant.audit.find(sid, 2) is None


def test_without_batching_lookups_are_answered_in_the_pool(fake_settings, fake_assistant, monkeypatch):
    threads = _record_threads(monkeypatch, fake_assistant)
    encoding = _fresh_encoder(monkeypatch, fake_assistant, batch_size=1)
    with TestClient(create_app(fake_settings, fake_assistant)) as c:
        lookup = c.post("/v1/ask", json={"question": "80端口为什么打不开，要备案吗"}).json()
    assert lookup["intent"] == "lookup"
    assert threads[0] != POOL and threads[1:] == [POOL]  # stopped at the encode, answered in the pool
    assert encoding == [POOL]
    sid = lookup["session_id"]
    assert fake_assistant.sessions.get(sid).turns == 1 and fake_assistant.audit.find(sid, 2) is None


def test_a_networked_session_store_keeps_every_answer_off_the_loop(fake_settings, fake_assistant, monkeypatch):
    store = MemorySessionStore()
    store.local = False  # as RedisSessionStore
    monkeypatch.setattr(fake_assistant, "sessions", store)
    threads = _record_threads(monkeypatch, fake_assistant)
    with TestClient(create_app(fake_settings, fake_assistant)) as c:
        assert c.post("/v1/ask", json={"question": "欠费5000元逾期10天违约金多少"}).json()["intent"] == "calculation"
    assert threads == [POOL]


def test_calculator_endpoint_names_a_deferred_input_the_inputs_need(client):
    due = client.post("/v1/calculators/outage_credit", json={"outage_hours": 30})
    assert due.status_code == 422
    assert due.json()["error"]["code"] == "input_needed" and due.json()["error"]["field"] == "monthly_fee"
    none_due = client.post("/v1/calculators/outage_credit", json={"outage_hours": 10})
    assert none_due.status_code == 200 and none_due.json()["result"] == 0.0


def test_a_calculation_request_makes_no_thread_hop(fake_settings, fake_assistant, monkeypatch):
    """FastAPI runs a plain `def` dependency in the thread pool: the providers are async so a calculation is
    answered on the loop without one hop per dependency (bench/load.py: about a third less CPU per request)."""
    hops = []
    real = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        hops.append(getattr(func, "__name__", repr(func)))
        return await real(func, *args, **kwargs)

    with TestClient(create_app(fake_settings, fake_assistant)) as c:
        monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
        r = c.post("/v1/ask", json={"question": "欠费5000元逾期10天违约金多少", "channel": "widget"})
    assert r.json()["intent"] == "calculation"
    assert hops == []
