"""The web front ends: the agents' console at `/`, the embeddable `/widget.js`, its demo page, and CORS for the API.

Plain files from `web/` (no build step). create_app is meant to call `mount_web(app, settings.allowed_origins)`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from assistant.settings import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"

# The console and the demo page load only their own files; the widget puts its CSS in a <style> in its shadow root.
_CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
_DEMO_CSP = _CONSOLE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _with_frame_ancestors(csp: str, origins: list[str]) -> str:
    """The pages may be framed by this site and by the allowed origins only."""
    return f"{csp}; frame-ancestors " + " ".join(["'self'", *origins])


def _normalise(origins: list[str]) -> list[str]:
    """Origins exactly as a browser sends them: scheme://host[:port], no path, no trailing slash."""
    return [o.strip().rstrip("/") for o in origins if o and o.strip()]


def mount_web(app: FastAPI, allowed_origins: list[str], web_dir: Path = WEB_DIR) -> None:
    """Serve the console, the widget and its demo; allow exactly `allowed_origins` to call the API from a browser.

    A page on any other origin gets no Access-Control-Allow-Origin header, so its browser withholds the answer
    (and refuses the JSON POST's preflight outright).
    """
    html_headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    origins = _normalise(allowed_origins)
    console_csp = _with_frame_ancestors(_CONSOLE_CSP, origins)
    demo_csp = _with_frame_ancestors(_DEMO_CSP, origins)

    @app.get("/", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(
            web_dir / "index.html",
            media_type="text/html; charset=utf-8",
            headers={**html_headers, "Content-Security-Policy": console_csp},
        )

    @app.get("/widget-demo", include_in_schema=False)
    def widget_demo() -> FileResponse:
        return FileResponse(
            web_dir / "widget-demo.html",
            media_type="text/html; charset=utf-8",
            headers={**html_headers, "Content-Security-Policy": demo_csp},
        )

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

    app.mount("/static", StaticFiles(directory=web_dir), name="static")

    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        allow_credentials=False,
        max_age=600,
    )
