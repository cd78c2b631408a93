"""``headwater concurrency-limit``: manage tag-based task concurrency limits."""

from __future__ import annotations

from typing import Annotated

import typer

from headwater.cli._errors import handle_errors
from headwater.cli._format import format_time, short_id
from headwater.cli._lookup import find_concurrency_limit, open_store
from headwater.cli._output import (
    OutputFormat,
    OutputOption,
    console,
    emit_json,
    key_value_table,
    new_table,
)
from headwater.cli._records import concurrency_limit_json

__all__ = ["app"]

app = typer.Typer(
    help="Create, list, inspect and delete tag concurrency limits.", no_args_is_help=True
)

TagArgument = Annotated[str, typer.Argument(help="The task tag the limit applies to.")]


@app.command("create")
@handle_errors
def create_limit(
    tag: TagArgument,
    limit: Annotated[
        int, typer.Argument(min=0, help="How many task runs with this tag may run at once.")
    ],
    output: OutputOption = OutputFormat.table,
) -> None:
    """Create the limit for TAG, or change it if it exists."""
    if not tag.strip():
        raise typer.BadParameter("the tag must not be empty", param_hint="'TAG'")
    record = open_store().create_concurrency_limit(tag, limit)
    if output is OutputFormat.json:
        emit_json(concurrency_limit_json(record))
    else:
        typer.echo(f"Concurrency limit for tag {record.tag!r} set to {record.limit}.")


@app.command("ls")
@handle_errors
def list_limits(output: OutputOption = OutputFormat.table) -> None:
    """List every concurrency limit with how many slots are in use."""
    limits = sorted(open_store().read_concurrency_limits(), key=lambda r: r.tag)
    if output is OutputFormat.json:
        emit_json([concurrency_limit_json(r) for r in limits])
        return
    out = console()
    if not limits:
        out.print("No concurrency limits.")
        return
    table = new_table("tag", "limit", "active", "created")
    for record in limits:
        table.add_row(
            record.tag,
            str(record.limit),
            str(len(record.active_slots)),
            format_time(record.created),
        )
    out.print(table)


@app.command("inspect")
@handle_errors
def inspect_limit(tag: TagArgument, output: OutputOption = OutputFormat.table) -> None:
    """Show one limit and the task runs holding its slots."""
    record = find_concurrency_limit(open_store(), tag)
    if output is OutputFormat.json:
        emit_json(concurrency_limit_json(record))
        return
    holders = ", ".join(short_id(h) for h in record.active_slots) or "-"
    rows = [
        ("tag", record.tag),
        ("limit", str(record.limit)),
        ("active", f"{len(record.active_slots)} of {record.limit}"),
        ("held by", holders),
        ("created", format_time(record.created)),
    ]
    console().print(key_value_table(rows, title=f"Concurrency limit {record.tag}"))


@app.command("delete")
@handle_errors
def delete_limit(tag: TagArgument) -> None:
    """Delete the limit for TAG (tasks with the tag run unlimited again)."""
    store = open_store()
    record = find_concurrency_limit(store, tag)
    store.delete_concurrency_limit(record.tag)
    typer.echo(f"Deleted concurrency limit for tag {record.tag!r}.")
