"""``headwater server``: serve the REST API, and upgrade or reset the database.

The server reads the same store flows write to (``HEADWATER_DATABASE_URL``,
SQLite under ``HEADWATER_HOME`` by default). FastAPI and uvicorn are imported
only when a server command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from headwater._store import get_embedded_store
from headwater.cli._errors import handle_errors
from headwater.settings import get_settings, mask_url_password

__all__ = ["app"]

app = typer.Typer(help="Run the Headwater server and manage its database.", no_args_is_help=True)
database_app = typer.Typer(help="Manage the store's database schema.", no_args_is_help=True)
app.add_typer(database_app, name="database")


def _masked_database_url() -> str:
    return mask_url_password(get_settings().database_url)


@app.command("start")
@handle_errors
def start(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 4200,
) -> None:
    """Serve the REST API (docs at /api/docs) over the store; migrations run first.

    Without HEADWATER_SERVER_ADMIN_TOKEN it refuses a non-loopback --host (unless
    HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH=true) and foreign CORS origins.
    """
    import uvicorn

    # Deferred: import time; FastAPI loads only for `headwater server start`.
    from headwater.server import check_start, create_app

    for warning in check_start(host, get_settings()):
        typer.echo(warning, err=True)
    app = create_app(bind_host=host)
    get_embedded_store()  # open now (never HTTP): applies migrations, fails fast on a bad URL
    typer.echo(f"Headwater server on http://{host}:{port}/api (database {_masked_database_url()})")
    uvicorn.run(app, host=host, port=port, log_level="info")


@database_app.command("upgrade")
@handle_errors
def upgrade() -> None:
    """Apply pending migrations and print the schema version."""
    # Deferred: import time; the migrations load only for the database commands.
    from headwater._store.reset import schema_version

    get_embedded_store()  # opening the store applies pending migrations
    version = schema_version(get_settings().database_url)
    typer.echo(f"Database {_masked_database_url()} is at schema version {version}.")


@database_app.command("reset")
@handle_errors
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop every table of the store and recreate the schema (ALL DATA IS LOST)."""
    # Deferred: import time; the migrations load only for the database commands.
    from headwater._store.reset import reset_database

    masked = _masked_database_url()
    if not yes:
        typer.confirm(
            f"Delete every flow run, task run, log, limit and block in {masked}?", abort=True
        )
    version = reset_database(get_settings().database_url)
    typer.echo(f"Database {masked} reset to schema version {version}.")
