import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from assistant.api.app import create_app
from assistant.api.guard import GuardConfig, install_guard
from assistant.api.metrics import REGISTRY, MetricsMiddleware, install_metrics, observe_answer
from assistant.models import Channel


@pytest.fixture(scope="module")
def app(fake_settings, fake_assistant):
    """The app with metrics; install_metrics is a no-op if create_app already installed it."""
    app = create_app(fake_settings, fake_assistant)
    install_metrics(app)
    return app


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def value(name, **labels):
    """A sample's current value, 0 when the series does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client):
    """/metrics parsed into {(sample name, frozen labels): value}."""
    r = client.get("/metrics")
    assert r.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def test_requests_are_counted_under_the_route_template(client):
    labels = {"method": "GET", "route": "/v1/clauses/{clause_id}", "status": "200"}
    before = value("assistant_http_requests_total", **labels)
    timed = value("assistant_http_request_seconds_count", method="GET", route="/v1/clauses/{clause_id}")
    for cid in ("M-1", "M-2", "A1-4.5"):
        assert client.get(f"/v1/clauses/{cid}").status_code == 200
    assert value("assistant_http_requests_total", **labels) == before + 3
    assert value("assistant_http_request_seconds_count", method="GET", route="/v1/clauses/{clause_id}") == timed + 3
    # Never the raw path: that would be one series per clause id.
    assert not any("M-1" in dict(k[1]).get("route", "") for k in scrape(client))


def test_errors_are_counted_by_route_and_status(client):
    before = value("assistant_http_errors_total", route="/v1/clauses/{clause_id}", status="404")
    assert client.get("/v1/clauses/M-99").status_code == 404
    assert value("assistant_http_errors_total", route="/v1/clauses/{clause_id}", status="404") == before + 1
    client.get("/healthz")
    assert REGISTRY.get_sample_value("assistant_http_errors_total", {"route": "/healthz", "status": "200"}) is None


def test_unknown_paths_share_one_label(client):
    before = value("assistant_http_requests_total", method="GET", route="unmatched", status="404")
    client.get("/no/such/page")
    client.get("/another-missing-thing")
    assert value("assistant_http_requests_total", method="GET", route="unmatched", status="404") == before + 2
    assert value("assistant_http_errors_total", route="unmatched", status="404") >= 2


def test_static_files_are_labelled_by_their_mount(client):
    before = value("assistant_http_requests_total", method="GET", route="/static/{path}", status="200")
    client.get("/static/console.css")
    client.get("/static/console.js")
    assert value("assistant_http_requests_total", method="GET", route="/static/{path}", status="200") == before + 2


def test_unusual_methods_share_one_label(client):
    client.request("PROPFIND", "/healthz")
    assert value("assistant_http_requests_total", method="other", route="/healthz", status="405") >= 1


def test_metrics_endpoint_serves_the_text_format(client):
    client.post("/v1/ask", json={"question": "开户费多少钱"})
    r = client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'assistant_http_requests_total{method="POST",route="/v1/ask",status="200"}' in r.text
    assert "# TYPE assistant_http_request_seconds histogram" in r.text


def test_observe_answer_appears_in_metrics(client):
    before = value("assistant_answers_total", channel="ivr", intent="lookup")
    observe_answer(Channel.ivr, "lookup", 0.42)
    observe_answer("ivr", "lookup", 1.5)
    assert value("assistant_answers_total", channel="ivr", intent="lookup") == before + 2
    samples = scrape(client)
    key = frozenset({"channel": "ivr", "intent": "lookup"}.items())
    assert samples[("assistant_answer_seconds_count", key)] >= 2
    assert samples[("assistant_answer_seconds_sum", key)] >= 1.92


def test_metrics_is_not_in_the_openapi_schema(client):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_installing_twice_adds_nothing(fake_settings, fake_assistant):
    app = create_app(fake_settings, fake_assistant)
    install_metrics(app)
    install_metrics(app)
    assert [m.cls for m in app.user_middleware].count(MetricsMiddleware) == 1
    assert [getattr(r, "path", None) for r in app.routes].count("/metrics") == 1


def test_guard_refusals_are_counted_under_their_route(fake_settings, fake_assistant):
    app = create_app(fake_settings, fake_assistant)
    install_guard(app, GuardConfig(rate_per_minute_ip=2, max_body_bytes=10))
    install_metrics(app)
    too_large = value("assistant_http_errors_total", route="/v1/ask", status="413")
    limited = value("assistant_http_requests_total", method="GET", route="/v1/calculators", status="429")
    with TestClient(app) as c:
        assert c.post("/v1/ask", content=b"x" * 11).status_code == 413
        assert c.get("/v1/calculators").status_code == 200
        assert c.get("/v1/calculators").status_code == 429
    assert value("assistant_http_errors_total", route="/v1/ask", status="413") == too_large + 1
    assert value("assistant_http_requests_total", method="GET", route="/v1/calculators", status="429") == limited + 1


def test_the_query_vector_cache_hit_rate_is_in_metrics(fake_settings, fake_assistant, monkeypatch):
    from assistant.embedding.queries import QueryEncoder

    # A fresh, empty cache: the same lookup asked twice encodes once and is then a hit.
    monkeypatch.setattr(
        fake_assistant.retriever, "queries", QueryEncoder(fake_assistant.retriever.embedder, 16, 16, 2.0)
    )
    with TestClient(create_app(fake_settings, fake_assistant)) as c:
        for _ in range(2):
            assert c.post("/v1/ask", json={"question": "80端口为什么打不开，要备案吗"}).json()["intent"] == "lookup"
        got = scrape(c)
    assert got[("assistant_query_cache_hits_total", frozenset())] == 1
    assert got[("assistant_query_cache_misses_total", frozenset())] == 1
    assert got[("assistant_query_cache_hit_ratio", frozenset())] == 0.5
    assert got[("assistant_query_cache_entries", frozenset())] == 1
    assert got[("assistant_query_cache_capacity", frozenset())] == 16
    assert got[("assistant_encoder_batches_total", frozenset())] == 1
    assert got[("assistant_encoder_batched_queries_total", frozenset())] == 1
    assert got[("assistant_encoder_info", frozenset({("runtime", "other")}))] == 1  # the fake is neither runtime
