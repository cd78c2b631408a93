"""``headwater flow-run``: list, inspect, read the logs of, retry, cancel and delete flow runs."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

import typer

from headwater._state_filters import parse_states
from headwater._store.filters import RunFilter
from headwater.cli._errors import CliError, handle_errors
from headwater.cli._filters import level_callback, level_name, parse_level, state_callback
from headwater.cli._format import (
    LEVEL_COLOURS,
    format_run_duration,
    format_time,
    short_id,
    state_style,
)
from headwater.cli._lookup import find_flow_run, not_found, open_store
from headwater.cli._output import (
    OutputFormat,
    OutputOption,
    console,
    emit_json,
    key_value_table,
    new_table,
    styled,
)
from headwater.cli._records import flow_run_json, log_json, state_json
from headwater.errors import HeadwaterError, ObjectNotFound

__all__ = ["app"]

app = typer.Typer(
    help="List, inspect, read logs of, retry, cancel and delete flow runs.", no_args_is_help=True
)

IdArgument = Annotated[
    str, typer.Argument(help="Flow run id, or a unique prefix of at least 6 characters.")
]


@app.command("ls")
@handle_errors
def list_flow_runs(
    flow_name: Annotated[
        str | None, typer.Option("--flow-name", help="Only runs of this flow.")
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="State type (FAILED) or name (TimedOut), any case; repeat for any of several.",
            callback=state_callback,
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Only runs with this tag; repeat: all must match."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many runs.")] = 20,
    output: OutputOption = OutputFormat.table,
) -> None:
    """List flow runs, newest first."""
    states = parse_states(state)  # checked by state_callback already
    where = RunFilter(
        flow_name=flow_name,
        state_types=states.types,  # a run of any of these types or names
        state_names=states.names,
        tags=tuple(tag or ()),
        limit=limit,
    )
    runs = open_store().read_flow_runs(where)
    if output is OutputFormat.json:
        emit_json([flow_run_json(r) for r in runs])
        return
    table = new_table("id", "flow", "name", "state", "start", "duration")
    for run in runs:
        table.add_row(
            short_id(run.id),
            run.flow_name,
            run.name,
            styled(run.state_name, state_style(run.state_type)),
            format_time(run.start_time),
            format_run_duration(run.start_time, run.end_time, run.state_type),
        )
    out = console()
    if runs:
        out.print(table)
    else:
        out.print("No flow runs found.")


@app.command("inspect")
@handle_errors
def inspect_flow_run(flow_run_id: IdArgument, output: OutputOption = OutputFormat.table) -> None:
    """Show every field of a flow run, its state history and its task runs by state."""
    store = open_store()
    run = find_flow_run(store, flow_run_id)
    states = store.read_states(run.id)
    task_runs = store.read_task_runs(flow_run_id=run.id, limit=None)
    counts = Counter(t.state_name for t in task_runs)
    if output is OutputFormat.json:
        data = flow_run_json(run)
        data["state_history"] = [state_json(s) for s in states]
        data["task_run_count"] = len(task_runs)
        data["task_run_counts"] = dict(sorted(counts.items()))
        emit_json(data)
        return
    out = console()
    rows = [
        ("id", run.id),
        ("name", run.name),
        ("flow", run.flow_name),
        (
            "state",
            run.state_name
            + ("" if run.state_name.upper() == run.state_type else f" ({run.state_type})"),
        ),
        ("message", run.state_message or "-"),
        ("tags", ", ".join(run.tags) or "-"),
        ("parameters", json.dumps(run.parameters, default=str) if run.parameters else "-"),
        ("created", format_time(run.created)),
        ("start", format_time(run.start_time)),
        ("end", format_time(run.end_time)),
        ("duration", format_run_duration(run.start_time, run.end_time, run.state_type)),
        ("run count", str(run.run_count)),
        ("parent flow run", run.parent_flow_run_id or "-"),
        ("parent task run", run.parent_task_run_id or "-"),
        ("entrypoint", run.entrypoint or "-"),
        ("flow version", run.flow_version or "-"),
        ("host / pid", f"{run.hostname or '-'} / {run.pid if run.pid is not None else '-'}"),
        ("heartbeat", format_time(run.heartbeat)),
    ]
    out.print(key_value_table(rows, title=f"Flow run {run.name}"))
    history = new_table("time", "type", "name", "message", title="State history")
    for s in states:
        history.add_row(
            format_time(s.timestamp, millis=True),
            s.type,
            styled(s.name, state_style(s.type)),
            s.message or "",
        )
    out.print(history)
    by_state = new_table("state", "task runs", title=f"Task runs ({len(task_runs)})")
    for name, count in sorted(counts.items()):
        by_state.add_row(name, str(count))
    out.print(by_state)


@app.command("logs")
@handle_errors
def flow_run_logs(
    flow_run_id: IdArgument,
    level: Annotated[
        str | None,
        typer.Option(
            "--level",
            help="Lowest level shown: DEBUG, INFO, WARNING, ERROR, CRITICAL or a number.",
            callback=level_callback,
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Show at most this many lines.")
    ] = None,
    head: Annotated[
        bool,
        typer.Option(
            "--head/--tail", help="With --limit: the first lines (default) or the last ones."
        ),
    ] = True,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Print a flow run's logs (its task runs' included), oldest first, one line each."""
    store = open_store()
    run = find_flow_run(store, flow_run_id)
    min_level = parse_level(level)
    if head or limit is None:
        logs = store.read_logs(flow_run_id=run.id, min_level=min_level, limit=limit)
    else:
        logs = store.read_logs(flow_run_id=run.id, min_level=min_level, limit=None)[-limit:]
    task_names: dict[str, str] = {}
    if any(log.task_run_id for log in logs):
        task_names = {t.id: t.name for t in store.read_task_runs(flow_run_id=run.id, limit=None)}

    def run_name(task_run_id: str | None) -> str:
        if task_run_id is None:
            return run.name
        return task_names.get(task_run_id, short_id(task_run_id))

    if output is OutputFormat.json:
        emit_json(
            [
                log_json(log, level_name=level_name(log.level), run_name=run_name(log.task_run_id))
                for log in logs
            ]
        )
        return
    # Plain echo, not rich: thousands of lines must print fast, and messages stay literal.
    for log in logs:
        name = level_name(log.level)
        level = typer.style(f"{name:<8}", fg=LEVEL_COLOURS.get(name))
        typer.echo(
            f"{format_time(log.timestamp, millis=True)} | {level} | "
            f"{run_name(log.task_run_id)} | {log.message}"
        )


@app.command("retry")
@handle_errors
def retry_flow_run(flow_run_id: IdArgument, output: OutputOption = OutputFormat.table) -> None:
    """Run a finished flow run again from its entrypoint; exit 0 only if it completes."""
    store = open_store()
    run = find_flow_run(store, flow_run_id)
    try:
        from headwater._flow_retry import retry_flow_run as engine_retry
    except ImportError as exc:
        raise CliError(f"flow-run retry is not available in this installation ({exc})") from None
    try:
        state = engine_retry(run.id)
    except HeadwaterError:
        raise
    except Exception as exc:  # e.g. the entrypoint's file or module is gone
        raise CliError(
            f"could not retry flow run {run.name} ({short_id(run.id)}): {type(exc).__name__}: {exc}"
        ) from None
    state_type = getattr(state.type, "value", str(state.type))
    if output is OutputFormat.json:
        emit_json(
            {
                "id": run.id,
                "name": run.name,
                "state_type": state_type,
                "state_name": state.name,
                "message": state.message,
            }
        )
    else:
        from rich.text import Text

        line = Text(f"Flow run {run.name} ({short_id(run.id)}) finished in state ")
        line.append(state.name, style=state_style(state_type))
        if state.message:
            line.append(f": {state.message}")
        console().print(line)
    raise typer.Exit(0 if state_type == "COMPLETED" else 1)


@app.command("cancel")
@handle_errors
def cancel_flow_run(flow_run_id: IdArgument) -> None:
    """Cancel a flow run: at once if it has not started or its process is gone, else
    by asking the process running it to stop (the run shows Cancelling until it has)."""
    store = open_store()
    try:
        # Straight to the store: reading the run first would mark a run whose
        # process is gone Crashed, and cancelling it should make it Cancelled.
        state_type = store.cancel_flow_run(flow_run_id)
    except ObjectNotFound as exc:
        raise not_found("flow run", flow_run_id, exc) from None
    run = find_flow_run(store, flow_run_id)
    from rich.text import Text

    line = Text(f"Flow run {run.name} ({short_id(run.id)}) is now ")
    line.append(run.state_name, style=state_style(run.state_type))
    if state_type == "CANCELLING" and run.state_type == "CANCELLING":
        line.append(": the process running it will stop it within a few seconds")
    console().print(line)


@app.command("delete")
@handle_errors
def delete_flow_run(
    flow_run_id: IdArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a flow run with its task runs, states and logs."""
    store = open_store()
    run = find_flow_run(store, flow_run_id)
    if not yes:
        count = store.count_task_runs(flow_run_id=run.id)
        typer.confirm(
            f"Delete flow run {run.name} ({short_id(run.id)}) with its {count} task run(s) and logs?",
            abort=True,
            err=True,
        )
    store.delete_flow_run(run.id)
    typer.echo(f"Deleted flow run {run.name} ({run.id}).")
