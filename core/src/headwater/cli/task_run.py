"""``headwater task-run``: list the task runs of a flow run."""

from __future__ import annotations

from typing import Annotated

import typer

from headwater._state_filters import parse_states
from headwater._store.filters import RunFilter
from headwater.cli._errors import handle_errors
from headwater.cli._filters import state_callback
from headwater.cli._format import format_run_duration, format_time, short_id, state_style
from headwater.cli._lookup import find_flow_run, open_store
from headwater.cli._output import OutputFormat, OutputOption, console, emit_json, new_table, styled
from headwater.cli._records import task_run_json, upstream_ids

__all__ = ["app"]

app = typer.Typer(help="List task runs.", no_args_is_help=True)


@app.command("ls")
@handle_errors
def list_task_runs(
    flow_run: Annotated[
        str,
        typer.Option("--flow-run", help="Flow run id or unique prefix (at least 6 characters)."),
    ],
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="State type (FAILED) or name (Cached), any case; repeat for any of several.",
            callback=state_callback,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Show at most this many task runs.")
    ] = 100,
    output: OutputOption = OutputFormat.table,
) -> None:
    """List the task runs of a flow run in the order they were created."""
    store = open_store()
    parent = find_flow_run(store, flow_run)
    states = parse_states(state)  # checked by state_callback already
    where = RunFilter(
        flow_run_id=parent.id,
        state_types=states.types,  # a run of any of these types or names
        state_names=states.names,
        limit=limit,
    )
    runs = store.read_task_runs(where)
    if output is OutputFormat.json:
        emit_json([task_run_json(r) for r in runs])
        return
    out = console()
    if not runs:
        out.print(f"No task runs found in flow run {parent.name} ({short_id(parent.id)}).")
        return
    table = new_table("id", "name", "state", "start", "duration", "upstream")
    for run in runs:
        table.add_row(
            run.id,  # in full: task run ids are time-ordered, so their first digits repeat
            run.name,
            styled(run.state_name, state_style(run.state_type)),
            format_time(run.start_time),
            format_run_duration(run.start_time, run.end_time, run.state_type),
            str(len(upstream_ids(run))),
        )
    out.print(table)
