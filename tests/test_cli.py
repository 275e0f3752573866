"""`assistant serve` hands uvicorn the configured options."""

import pytest
import uvicorn

from assistant import cli
from assistant.answer.assistant import Assistant


@pytest.mark.parametrize("env, expected", [(None, False), ("true", True), ("0", False)])
def test_serve_passes_the_access_log_setting_to_uvicorn(monkeypatch, tmp_path, fake_assistant, env, expected):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    if env is None:
        monkeypatch.delenv("ASSISTANT_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("ASSISTANT_ACCESS_LOG", env)
    monkeypatch.setattr(Assistant, "from_settings", classmethod(lambda cls, s, rebuild=True: fake_assistant))
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert cli.main(["serve", "--port", "8123"]) == 0
    assert calls[0]["access_log"] is expected and calls[0]["port"] == 8123
