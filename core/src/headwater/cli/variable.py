"""``headwater variable``: read and write named JSON values."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from headwater._store import get_store
from headwater.cli._errors import CliError, handle_errors
from headwater.cli._format import format_time
from headwater.cli._output import OutputFormat, OutputOption, console, emit_json, new_table
from headwater.errors import HeadwaterError, ObjectNotFound

__all__ = ["app"]

app = typer.Typer(help="Get, set, list and unset variables.", no_args_is_help=True)

_PREVIEW_CHARS = 60
"""How much of a value ``variable ls`` shows in its table (``-o json`` and ``get`` show all)."""

NameArgument = Annotated[str, typer.Argument(help="The variable's name.")]


def _parse(text: str) -> Any:
    """VALUE as JSON when it parses (``42``, ``true``, ``{"a": 1}``), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _preview(value: Any) -> str:
    """VALUE's JSON cut to :data:`_PREVIEW_CHARS` characters (ending in "…" when cut)."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= _PREVIEW_CHARS:
        return text
    return f"{text[: _PREVIEW_CHARS - 1]}…"


def _checked(name: str) -> str:
    # Deferred: import time; headwater.variables adds ~50 modules to CLI start.
    from headwater.variables import validate_variable_name

    try:
        return validate_variable_name(name)
    except ValueError as exc:
        raise CliError(str(exc)) from None


@app.command("get")
@handle_errors
def get_variable(name: NameArgument) -> None:
    """Print the value of NAME as JSON."""
    try:
        record = get_store().read_variable(_checked(name))
    except ObjectNotFound:
        raise CliError(f"variable {name!r} not found") from None
    typer.echo(json.dumps(record.value))


@app.command("set")
@handle_errors
def set_variable(
    name: NameArgument,
    value: Annotated[str, typer.Argument(help="The value: JSON if it parses, else a string.")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the value if NAME exists.")
    ] = False,
) -> None:
    """Set NAME to VALUE (refuses to replace an existing value without --overwrite)."""
    # Deferred: import time; headwater.variables adds ~50 modules to CLI start.
    from headwater.variables import Variable

    _checked(name)
    try:
        Variable.set(name, _parse(value), overwrite=overwrite)
    except HeadwaterError:
        raise  # ObjectAlreadyExists: handle_errors prints it
    except ValueError as exc:
        raise CliError(str(exc)) from None
    typer.echo(f"Set variable {name!r}.")


@app.command("ls")
@handle_errors
def list_variables(output: OutputOption = OutputFormat.table) -> None:
    """List every variable with its value (cut to 60 characters; `-o json` or `get` for all)."""
    records = get_store().read_variables()
    if output is OutputFormat.json:
        emit_json(
            [
                {
                    "name": r.name,
                    "value": r.value,
                    "tags": r.tags,
                    "created": r.created,
                    "updated": r.updated,
                }
                for r in records
            ]
        )
        return
    out = console()
    if not records:
        out.print("No variables.")
        return
    table = new_table("name", "value", "tags", "updated")
    for r in records:
        table.add_row(r.name, _preview(r.value), ", ".join(r.tags), format_time(r.updated))
    out.print(table)


@app.command("unset")
@handle_errors
def unset_variable(name: NameArgument) -> None:
    """Delete NAME."""
    # Deferred: import time; headwater.variables adds ~50 modules to CLI start.
    from headwater.variables import Variable

    if not Variable.unset(_checked(name)):
        raise CliError(f"variable {name!r} not found")
    typer.echo(f"Unset variable {name!r}.")
