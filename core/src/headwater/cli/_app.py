"""The root ``headwater`` command: sub-command groups and ``--version``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from headwater._version import __version__
from headwater.cli import (
    artifact,
    block,
    concurrency_limit,
    config,
    flow_run,
    server,
    task_run,
    variable,
)

app = typer.Typer(
    name="headwater",
    help="Headwater: inspect and manage flow runs, task runs, logs, blocks, concurrency limits and settings.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold connection strings
)
app.add_typer(flow_run.app, name="flow-run")
app.add_typer(task_run.app, name="task-run")
app.add_typer(concurrency_limit.app, name="concurrency-limit")
app.add_typer(config.app, name="config")
app.add_typer(block.app, name="block")
app.add_typer(server.app, name="server")
app.add_typer(variable.app, name="variable")
app.add_typer(artifact.app, name="artifact")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"headwater {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Headwater's command line."""


def main() -> None:
    """Console-script entry point: run the app, then close the store if a command opened it."""
    try:
        app()
    finally:
        store_module = sys.modules.get("headwater._store")
        if store_module is not None:
            try:
                store_module.reset_store()
            except NotImplementedError:  # the store implementation is not installed
                pass
