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
