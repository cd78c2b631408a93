"""``headwater artifact``: list artifacts and show the latest version of a key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from headwater._store import get_store
from headwater.cli._errors import CliError, handle_errors
from headwater.cli._format import format_time, short_id
from headwater.cli._output import (
    OutputFormat,
    OutputOption,
    console,
    emit_json,
    key_value_table,
    new_table,
)
from headwater.errors import ObjectNotFound

if TYPE_CHECKING:
    from headwater._store.records import ArtifactRecord

__all__ = ["app"]

app = typer.Typer(help="List and inspect artifacts.", no_args_is_help=True)


def artifact_json(record: ArtifactRecord) -> dict[str, Any]:
    """The artifact as a JSON-ready dict (as ``-o json`` prints it)."""
    return {
        "id": record.id,
        "key": record.key,
        "version": record.version,
        "type": record.type,
        "data": record.data,
        "description": record.description,
        "flow_run_id": record.flow_run_id,
        "task_run_id": record.task_run_id,
        "created": record.created,
    }


def _summary(record: ArtifactRecord) -> str:
    if record.type == "link":
        return str(record.data.get("link_text") or record.data.get("link"))
    if record.type == "table":
        return f"{len(record.data)} rows"
    first = str(record.data).strip().splitlines()
    return first[0][:60] if first else ""


@app.command("ls")
@handle_errors
def list_artifacts(
    key: Annotated[str | None, typer.Option("--key", help="Only versions of this key.")] = None,
    flow_run: Annotated[
        str | None, typer.Option("--flow-run", help="Only artifacts of this flow run id.")
    ] = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """List artifacts, newest first."""
    records = get_store().read_artifacts(key=key, flow_run_id=flow_run)
    if output is OutputFormat.json:
        emit_json([artifact_json(r) for r in records])
        return
    out = console()
    if not records:
        out.print("No artifacts.")
        return
    table = new_table("id", "key", "version", "type", "summary", "flow run", "created")
    for r in records:
        table.add_row(
            short_id(r.id),
            r.key or "-",
            str(r.version),
            r.type,
            _summary(r),
            short_id(r.flow_run_id) if r.flow_run_id else "-",
            format_time(r.created),
        )
    out.print(table)


@app.command("inspect")
@handle_errors
def inspect_artifact(
    key: Annotated[str, typer.Argument(help="The artifact key.")],
    output: OutputOption = OutputFormat.table,
) -> None:
    """Show the latest version of the artifact KEY."""
    try:
        record = get_store().read_latest_artifact(key)
    except ObjectNotFound:
        raise CliError(f"artifact {key!r} not found") from None
    if output is OutputFormat.json:
        emit_json(artifact_json(record))
        return
    rows = [
        ("id", record.id),
        ("key", record.key or "-"),
        ("version", str(record.version)),
        ("type", record.type),
        ("description", record.description or "-"),
        ("flow run", record.flow_run_id or "-"),
        ("task run", record.task_run_id or "-"),
        ("created", format_time(record.created)),
    ]
    out = console()
    out.print(key_value_table(rows, title=f"Artifact {key}"))
    if record.type == "markdown":
        out.print(str(record.data), markup=False, highlight=False)
    elif record.type == "link":
        out.print(str(record.data.get("link")), markup=False, highlight=False)
    else:
        out.print(json.dumps(record.data, indent=2), markup=False, highlight=False)
