import pytest

from assistant.settings import Settings


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("top_k", 0, "top_k must be > 0, got 0"),
        ("rrf_k", -1, "rrf_k must be > 0, got -1"),
        ("worker_threads", 0, "worker_threads must be > 0, got 0"),
        ("session_ttl", 0, "session_ttl must be > 0"),
        ("allowed_origins", ["ftp://x"], "allowed_origins must be http(s) origins"),
        ("rate_per_minute_agent", 0, "rate_per_minute_agent must be > 0, got 0"),
        ("rate_per_minute_session", -5, "rate_per_minute_session must be > 0, got -5"),
        ("trusted_proxies", ["proxy.example"], "trusted_proxies must be IP addresses or networks"),
        ("trusted_proxies", ["*", "10.0.0.1"], "cannot be combined"),
        ("max_query_tokens", 4, "max_query_tokens must be between 8 and 512"),
    ],
)
def test_invalid_settings_are_refused_with_a_clear_message(field, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(**{field: value})


def test_lists_come_from_json_or_commas(monkeypatch):
    monkeypatch.setenv("ASSISTANT_API_KEYS", "a, b")
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", '["https://shop.example/"]')
    s = Settings()
    assert s.api_keys == ["a", "b"]
    assert s.allowed_origins == ["https://shop.example"]


def test_env_prefix(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "3")
    assert Settings().top_k == 3


def test_trusted_proxies_from_the_environment(monkeypatch):
    assert Settings().forwarded_allow_ips == []  # by default no peer may name another client
    monkeypatch.setenv("ASSISTANT_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1")
    assert Settings().forwarded_allow_ips == ["10.0.0.1", "192.168.0.0/16", "::1"]


def test_the_older_trust_forwarded_switch_trusts_every_peer():
    assert Settings(trust_forwarded=True).forwarded_allow_ips == ["*"]
    assert Settings(trust_forwarded=True, trusted_proxies=["10.0.0.1"]).forwarded_allow_ips == ["10.0.0.1"]
