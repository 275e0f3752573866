"""The interactive API docs at /docs: Swagger UI from the swagger-ui-bundle-v2 package, served by this service.

FastAPI's own /docs page loads Swagger UI from a CDN and starts it with an inline script, so it cannot carry a
strict Content-Security-Policy. Here the page (web/api-docs.html), its start-up script (web/api-docs.js) and
the Swagger UI files all come from this origin, and the page gets the same strict policy as the console.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from swagger_ui_bundle import swagger_ui_path

from assistant.api.web import DOCS_CSP, WEB_DIR

# The only Swagger UI files the page uses; nothing else of the package (its demo index.html) is served.
ASSETS = {
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def mount_docs(app: FastAPI, web_dir: Path = WEB_DIR) -> None:
    """Serve Swagger UI at /docs and its files at /docs/<file>; the schema is the app's /openapi.json."""
    page_headers = {
        "Content-Security-Policy": DOCS_CSP,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    asset_headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(web_dir / "api-docs.html", media_type="text/html; charset=utf-8", headers=page_headers)

    def asset_route(name: str, media_type: str):
        path = Path(str(swagger_ui_path)) / name

        def asset() -> FileResponse:
            return FileResponse(path, media_type=media_type, headers=asset_headers)

        return asset

    for name, media_type in ASSETS.items():
        app.add_api_route(f"/docs/{name}", asset_route(name, media_type), methods=["GET"], include_in_schema=False)
