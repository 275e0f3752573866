"""The web front ends: the agents' console at `/`, the embeddable `/widget.js`, its demo page, and CORS for the API.

Plain files from `web/` (no build step). create_app is meant to call `mount_web(app, settings.allowed_origins)`.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from assistant.settings import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"

# The console and the demo page load only their own files; the widget puts its CSS in a <style> in its shadow root.
_CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
_DEMO_CSP = _CONSOLE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# The API docs page (assistant.api.docs): the console's policy; it is framed by nobody but this site.
DOCS_CSP = f"{_CONSOLE_CSP}; frame-ancestors 'self'"


def _with_frame_ancestors(csp: str, origins: list[str]) -> str:
    """The pages may be framed by this site and by the allowed origins only."""
    return f"{csp}; frame-ancestors " + " ".join(["'self'", *origins])


def _normalise(origins: list[str]) -> list[str]:
    """Origins exactly as a browser sends them: scheme://host[:port], no path, no trailing slash."""
    return [o.strip().rstrip("/") for o in origins if o and o.strip()]


class _WebFiles(StaticFiles):
    """`web/` under /static, each HTML page with the same CSP and headers as its own route.

    Without this, /static/index.html would serve the console without its Content-Security-Policy.
    """

    def __init__(self, *, directory: Path, page_headers: dict[str, dict[str, str]], default: dict[str, str]):
        super().__init__(directory=directory)
        self.page_headers = page_headers
        self.default = default

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(full_path).name
        if name.endswith((".html", ".htm")):
            response.headers.update(self.page_headers.get(name, self.default))
        return response


def mount_web(app: FastAPI, allowed_origins: list[str], web_dir: Path = WEB_DIR) -> None:
    """Serve the console, the widget and its demo; allow exactly `allowed_origins` to call the API from a browser.

    A page on any other origin gets no Access-Control-Allow-Origin header, so its browser withholds the answer
    (and refuses the JSON POST's preflight outright).
    """
    html_headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    origins = _normalise(allowed_origins)
    console_csp = _with_frame_ancestors(_CONSOLE_CSP, origins)
    demo_csp = _with_frame_ancestors(_DEMO_CSP, origins)

    console_headers = {**html_headers, "Content-Security-Policy": console_csp}
    demo_headers = {**html_headers, "Content-Security-Policy": demo_csp}

    @app.get("/", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(web_dir / "index.html", media_type="text/html; charset=utf-8", headers=console_headers)

    @app.get("/widget-demo", include_in_schema=False)
    def widget_demo() -> FileResponse:
        return FileResponse(web_dir / "widget-demo.html", media_type="text/html; charset=utf-8", headers=demo_headers)

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(
            web_dir / "widget.js",
            media_type="application/javascript; charset=utf-8",
            headers={
                "Cache-Control": "public, max-age=300",
                "X-Content-Type-Options": "nosniff",
                # Loadable by <script> on other sites, including ones that set Cross-Origin-Embedder-Policy.
                "Cross-Origin-Resource-Policy": "cross-origin",
            },
        )

    app.mount(
        "/static",
        _WebFiles(directory=web_dir, page_headers={"widget-demo.html": demo_headers}, default=console_headers),
        name="static",
    )

    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        # X-Session-Id: the widget names its server-issued session, so the rate limits charge the session.
        allow_headers=["content-type", "x-session-id"],
        allow_credentials=False,
        max_age=600,
    )
