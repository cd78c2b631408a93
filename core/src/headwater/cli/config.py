"""``headwater config``: show the effective settings and where each came from."""

from __future__ import annotations

import os
from dataclasses import fields
from typing import Any

import typer

from headwater.cli._errors import handle_errors
from headwater.cli._output import OutputFormat, OutputOption, console, emit_json, new_table
from headwater.settings import Settings, mask_url_password

__all__ = ["app"]

app = typer.Typer(help="Show Headwater's settings.", no_args_is_help=True)

# Settings whose empty variable means "use the default" (read with ``or``).
_EMPTY_IS_DEFAULT = frozenset({"home", "database_url", "api_url", "local_storage_path"})


def _source(field_name: str) -> str:
    raw = os.environ.get(f"HEADWATER_{field_name.upper()}")
    if raw is None or (raw == "" and field_name in _EMPTY_IS_DEFAULT):
        return "default"
    return "env"


def _plain(value: object) -> str | bool | float | None:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def effective_settings() -> dict[str, dict[str, Any]]:
    """Every setting: its value (passwords in URLs masked), source and variable."""
    settings = Settings.from_env()
    result: dict[str, dict[str, Any]] = {}
    for f in fields(settings):
        value = _plain(getattr(settings, f.name))
        if f.name in {"database_url", "api_url"} and isinstance(value, str):
            value = mask_url_password(value)
        result[f.name] = {
            "value": value,
            "source": _source(f.name),
            "env_var": f"HEADWATER_{f.name.upper()}",
        }
    return result


@app.command("view")
@handle_errors
def view(output: OutputOption = OutputFormat.table) -> None:
    """Show each setting's value and whether it came from the environment or the default."""
    data = effective_settings()
    if output is OutputFormat.json:
        emit_json(data)
        return
    table = new_table("variable", "value", "source")
    table.columns[0].no_wrap = True
    for item in data.values():
        value = item["value"]
        table.add_row(item["env_var"], "-" if value is None else str(value), item["source"])
    console().print(table)
