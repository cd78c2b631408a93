"""The API docs (Swagger UI) at ``/api/docs``, served from this server, never from a CDN.

FastAPI's default docs page loads Swagger UI's JavaScript from a CDN into the server's
origin, where it could read anything the page can. Here the JavaScript, CSS and icon
come from the ``swagger-ui-bundle`` package installed with Headwater, served under
``/api/docs/static/``: nothing is downloaded at run time, and the code that runs is the
version installed (pinned like every other dependency).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from headwater.errors import ConfigurationError

__all__ = ["install_docs", "swagger_ui_dir"]


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files inside the installed ``swagger-ui-bundle`` package."""
    spec = importlib.util.find_spec("swagger_ui_bundle")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError("the swagger-ui-bundle package is not installed")
    vendor = Path(next(iter(spec.submodule_search_locations))) / "vendor"
    found = sorted(p for p in vendor.glob("swagger-ui-*") if (p / "swagger-ui-bundle.js").is_file())
    if not found:
        raise ConfigurationError(f"no Swagger UI files in {vendor}")
    return found[-1]


def install_docs(app: FastAPI, prefix: str, openapi_url: str) -> None:
    """Serve Swagger UI at ``{prefix}/docs`` and its files at ``{prefix}/docs/static``."""
    static = f"{prefix}/docs/static"
    app.mount(static, StaticFiles(directory=swagger_ui_dir()), name="swagger-ui")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon-32x32.png",
        )

    app.add_api_route(f"{prefix}/docs", docs, methods=["GET"], include_in_schema=False)
