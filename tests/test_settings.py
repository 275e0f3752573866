import pytest

from assistant.settings import Settings


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("top_k", 0, "top_k must be > 0, got 0"),
        ("fusion_temperature", 0, "fusion_temperature must be > 0, got 0"),
        ("worker_threads", 0, "worker_threads must be > 0, got 0"),
        ("session_ttl", 0, "session_ttl must be > 0"),
        ("allowed_origins", ["ftp://x"], "allowed_origins must be http(s) origins"),
        ("rate_per_minute_agent", 0, "rate_per_minute_agent must be > 0, got 0"),
        ("rate_per_minute_session", -5, "rate_per_minute_session must be > 0, got -5"),
        ("trusted_proxies", ["proxy.example"], "trusted_proxies must be IP addresses or networks"),
        ("trusted_proxies", ["*", "10.0.0.1"], "cannot be combined"),
        ("paraphrase_penalty", -0.1, "paraphrase_penalty must be >= 0, got -0.1"),
        ("example_weight", -0.1, "example_weight must be >= 0, got -0.1"),
        ("example_floor", 1.5, "example_floor must be a cosine between -1 and 1, got 1.5"),
        ("vague_share", 0, "vague_share must be a share in (0, 1], got 0"),
        ("vague_share", 1.2, "vague_share must be a share in (0, 1], got 1.2"),
        ("max_query_tokens", 4, "max_query_tokens must be between 8 and 512"),
        ("encoder", "tensorflow", "encoder must be one of onnx, onnx-int8, torch, got 'tensorflow'"),
        ("encoder_threads", -1, "encoder_threads must be between 0 (every core) and 256"),
        ("encode_batch_size", 0, "encode_batch_size must be between 1 (no batching) and 256, got 0"),
        ("encode_batch_size", 1000, "encode_batch_size must be between 1 (no batching) and 256"),
        ("encode_batch_wait_ms", -1, "encode_batch_wait_ms must be between 0 and 100 (ms)"),
        ("encode_batch_wait_ms", 500, "encode_batch_wait_ms must be between 0 and 100 (ms)"),
        ("query_cache_size", -1, "query_cache_size must be between 0 (off) and 1000000"),
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


def test_agent_keys_come_from_pairs_and_are_kept_secret(monkeypatch):
    monkeypatch.setenv("ASSISTANT_AGENT_KEYS", "alice:alice-key-0123456789, bob:bob-key-0123456789")
    s = Settings()
    assert {a: k.get_secret_value() for a, k in s.agent_keys.items()} == {
        "alice": "alice-key-0123456789", "bob": "bob-key-0123456789",
    }
    assert s.agent_sign_in and "alice-key" not in repr(s)


@pytest.mark.parametrize(
    "value, message",
    [
        ("alice", "entry 1 must be AGENT:KEY"),
        ("alice:short", "shorter than 16 characters"),
        ("al ice:alice-key-0123456789", "agent ids must be"),
        ("a:same-key-0123456789,b:same-key-0123456789", "share one key"),
        ("a:a-key-0123456789xx,a:b-key-0123456789xx", "names agent 'a' twice"),
    ],
)
def test_bad_agent_keys_are_refused_without_echoing_them(monkeypatch, value, message):
    monkeypatch.setenv("ASSISTANT_AGENT_KEYS", value)
    with pytest.raises(ValueError, match=message) as e:
        Settings()
    assert "0123456789" not in str(e.value)


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16, ::1")
    assert Settings().trusted_proxies == ["10.0.0.1/32", "192.168.0.0/16", "::1/128"]
    with pytest.raises(ValueError, match="trusted_proxies must be IP addresses or networks"):
        Settings(trusted_proxies=["proxy.internal"])


def test_an_agent_header_needs_trusted_proxies():
    with pytest.raises(ValueError, match="agent_header needs trusted_proxies"):
        Settings(agent_header="X-Forwarded-User")
    with pytest.raises(ValueError, match="agent_header must be an HTTP header name"):
        Settings(agent_header="X Forwarded User", trusted_proxies=["10.0.0.1"])
    assert Settings(agent_header="X-Forwarded-User", trusted_proxies=["10.0.0.1"]).agent_sign_in
    assert not Settings().agent_sign_in


def test_trusted_proxies_default_to_none_and_star_trusts_every_peer(monkeypatch):
    assert Settings().trusted_proxies == []  # by default no peer may name another client
    monkeypatch.setenv("ASSISTANT_TRUSTED_PROXIES", "*")
    assert Settings().trusted_proxies == ["*"]
    with pytest.raises(ValueError, match="agent_header needs trusted_proxies"):
        Settings(agent_header="X-Forwarded-User", trusted_proxies=["*"])


def test_the_older_trust_forwarded_switch_trusts_every_peer():
    assert Settings(trust_forwarded=True).trusted_proxies == ["*"]
    assert Settings(trust_forwarded=True, trusted_proxies=["10.0.0.1"]).trusted_proxies == ["10.0.0.1/32"]


def test_the_encoder_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_ENCODER", "Torch")
    monkeypatch.setenv("ASSISTANT_ENCODE_BATCH_SIZE", "8")
    monkeypatch.setenv("ASSISTANT_ENCODE_BATCH_WAIT_MS", "1.5")
    monkeypatch.setenv("ASSISTANT_QUERY_CACHE_SIZE", "0")
    s = Settings()
    assert (s.encoder, s.encode_batch_size, s.encode_batch_wait_ms, s.query_cache_size) == ("torch", 8, 1.5, 0)
    assert Settings(cache_dir="/tmp/c").onnx_dir.as_posix() == "/tmp/c/multilingual-e5-small.onnx"
