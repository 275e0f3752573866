"""Session fixtures for the browser tests: the API on a real port, two other origins, and headless Chromium."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.web.servers import bound_socket, serve_app, serve_host_page

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Site:
    api: str  # the API's origin; it also serves the console and widget.js
    allowed_host: str  # an origin in allowed_origins whose page embeds the widget
    other_host: str  # an origin not in allowed_origins whose page embeds the widget


@pytest.fixture(scope="session")
def site(fake_settings, fake_assistant, tmp_path_factory):
    from assistant.api.app import create_app

    sock = bound_socket()
    api = f"http://127.0.0.1:{sock.getsockname()[1]}"
    root: Path = tmp_path_factory.mktemp("hosts")
    with (
        serve_host_page(root / "allowed", api, "合作伙伴网站") as allowed,
        serve_host_page(root / "other", api, "未授权网站") as other,
    ):
        app = create_app(fake_settings.model_copy(update={"allowed_origins": [allowed]}), fake_assistant)
        with serve_app(app, sock):
            yield Site(api=api, allowed_host=allowed, other_host=other)


@pytest.fixture(scope="session")
def handoff_sites(fake_settings, fake_assistant, tmp_path_factory):
    """Two APIs, each with a page embedding its widget: one hands customers to a web page (ASSISTANT_HANDOFF_URL),
    the other to a number (ASSISTANT_HANDOFF_NUMBER). Yields {"url": Site, "number": Site}."""
    from contextlib import ExitStack

    from assistant.answer.assistant import Assistant
    from assistant.api.app import create_app

    configs = {"url": {"handoff_url": "https://help.example.com/chat"}, "number": {"handoff_number": "400-811-0000"}}
    root: Path = tmp_path_factory.mktemp("handoff")
    with ExitStack() as stack:
        sites = {}
        for name, update in configs.items():
            sock = bound_socket()
            api = f"http://127.0.0.1:{sock.getsockname()[1]}"
            host = stack.enter_context(serve_host_page(root / name, api, "转人工测试网站"))
            settings = fake_settings.model_copy(update={**update, "allowed_origins": [host]})
            fake = fake_assistant
            assistant = Assistant(fake.knowledge, fake.retriever, settings, scope=fake.scope)
            stack.enter_context(serve_app(create_app(settings, assistant), sock))
            sites[name] = Site(api=api, allowed_host=host, other_host=host)
        yield sites


AGENT_KEY = "alice-key-0123456789abcdef"


@pytest.fixture(scope="session")
def agents_site(fake_settings, fake_assistant):
    """The API with agent sign-in configured (alice's key is AGENT_KEY); yields its origin."""
    from pydantic import SecretStr

    from assistant.api.app import create_app

    sock = bound_socket()
    settings = fake_settings.model_copy(update={"agent_keys": {"alice": SecretStr(AGENT_KEY)}})
    with serve_app(create_app(settings, fake_assistant), sock) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh context per test (own sessionStorage), failing fast, recording any JS dialog it sees."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    context.set_default_timeout(8000)
    p = context.new_page()
    p.dialogs = []
    p.errors = []

    def on_dialog(dialog):
        p.dialogs.append(dialog.message)
        dialog.dismiss()

    p.on("dialog", on_dialog)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    context.close()
