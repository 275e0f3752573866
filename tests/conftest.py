"""Shared fixtures: the parsed corpus, and an Assistant on a fake embedder with its own index."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.scope import ScopeModel
from assistant.corpus.knowledge import load_knowledge
from assistant.settings import PROJECT_ROOT, Settings
from tests.fakes import FakeEmbedder

CORPUS = PROJECT_ROOT / "corpus"
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(CORPUS)


@pytest.fixture(scope="session")
def corpus(knowledge):
    return knowledge.corpus


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory) -> Settings:
    base = tmp_path_factory.mktemp("fake")
    # Test clients send hundreds of requests from one address; the guard's own tests set tight budgets.
    return Settings(
        index_dir=base / "index", data_dir=base / "data", cache_dir=base / "cache",
        rate_per_minute_ip=1_000_000, rate_per_minute_key=1_000_000,
    )


@pytest.fixture(scope="session")
def fake_assistant(fake_settings) -> Assistant:
    # The fake's cosines are not the real model's, so the scope gate reads only its lexical evidence.
    scope = ScopeModel.load(use_dense=False)
    return Assistant.from_settings(fake_settings, embedder=FakeEmbedder(), today=lambda: TODAY, scope=scope)


@pytest.fixture(scope="session")
def real_assistant() -> Assistant:
    """The real model and the project's index (built by `make test` before pytest runs)."""
    return Assistant.from_settings(Settings(), today=lambda: TODAY)


def pytest_collection_modifyitems(items):
    for item in items:
        if "real_assistant" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


__all__ = ["CORPUS", "TODAY", "Path"]
