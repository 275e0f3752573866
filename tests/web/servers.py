"""Real HTTP servers for the browser tests: the API under uvicorn, and plain static hosts on other origins."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import uvicorn
from fastapi import FastAPI

HOST = "127.0.0.1"

HOST_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <style>
    /* A hostile host stylesheet: none of it may reach the widget inside its shadow root. */
    body {{ margin: 0; padding: 32px; font: 30px/1.2 serif; color: rgb(0, 160, 0); background: #fafafa; }}
    button, div, p, textarea {{ background: rgb(0, 255, 0); border: 6px dotted blue; font-size: 40px; }}
  </style>
</head>
<body>
  <h1>{title}</h1>
  <p>一个接入了咨询组件的第三方网页。</p>
  <script src="{api}/widget.js" data-api="{api}" async></script>
</body>
</html>
"""


def bound_socket() -> socket.socket:
    """A listening-ready socket on a free loopback port (bound now, so the port cannot be taken meanwhile)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


@contextmanager
def serve_app(app: FastAPI, sock: socket.socket):
    """Run `app` under uvicorn in a background thread on `sock`; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-test")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@contextmanager
def serve_host_page(directory: Path, api: str, title: str):
    """A static site on its own origin whose index.html embeds the widget pointing at `api`; yields its origin."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.html").write_text(HOST_PAGE.format(api=api, title=title), encoding="utf-8")
    httpd = ThreadingHTTPServer((HOST, 0), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True, name=f"host-{title}")
    thread.start()
    try:
        yield f"http://{HOST}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
