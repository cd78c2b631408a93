"""The FastAPI application: the API routers under ``/api`` over the process's store.

Every request reads through :func:`headwater._store.get_embedded_store`, the same
store flows write to (never the HTTP client, even with ``HEADWATER_API_URL`` set),
so runs recorded before the server started are visible and a change of
``HEADWATER_DATABASE_URL`` (in tests) is picked up. The OpenAPI
document is served at ``/api/openapi.json`` and its docs at ``/api/docs`` (Swagger UI
from the installed ``swagger-ui-bundle`` package, see :mod:`headwater.server._docs`).

Outermost, before any route (API, UI, static files, docs), the ``Host`` header is
checked (:mod:`headwater.server._hosts`, against DNS rebinding); every response says
it may not be framed (:mod:`headwater.server._frame`).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from headwater._version import __version__
from headwater.server._docs import install_docs
from headwater.server._errors import install_error_handlers, reject_nul_characters
from headwater.server._frame import FrameGuardMiddleware
from headwater.server._hosts import HostCheckMiddleware
from headwater.server._openapi import install_openapi
from headwater.server._security import install_security
from headwater.server.api import (
    artifacts,
    blocks,
    concurrency_limits,
    flow_run_actions,
    flow_runs,
    flows,
    health,
    ingest,
    store_mirror,
    task_runs,
    variables,
)
from headwater.server.ui import STATIC_DIR
from headwater.server.ui import router as ui_router

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api"


def create_app(bind_host: str | None = None) -> FastAPI:
    """A new application serving the REST API.

    ``bind_host`` is the address or name the server listens on; requests whose ``Host``
    names it are accepted besides the loopback names and ``HEADWATER_SERVER_ALLOWED_HOSTS``.
    """
    app = FastAPI(
        title="Headwater",
        version=__version__,
        description="Read flow runs, task runs, states, logs, concurrency limits, blocks, variables and artifacts.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_security(app)
    for module in (
        health,
        flows,
        flow_runs,
        flow_run_actions,
        task_runs,
        concurrency_limits,
        blocks,
        variables,
        artifacts,
        ingest,
        store_mirror,
    ):
        app.include_router(
            module.router, prefix=API_PREFIX, dependencies=[Depends(reject_nul_characters)]
        )

    app.include_router(ui_router, dependencies=[Depends(reject_nul_characters)])
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app, API_PREFIX, f"{API_PREFIX}/openapi.json")
    install_openapi(app)
    app.add_middleware(FrameGuardMiddleware)
    app.add_middleware(HostCheckMiddleware, bind_host=bind_host)
    return app
