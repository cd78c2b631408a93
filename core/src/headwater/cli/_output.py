"""Output formats: rich tables for people, JSON on stdout for programs.

JSON output is the only thing written to stdout when ``-o json`` is given, so
``headwater flow-run ls -o json | jq`` always works. Tables go through a rich
console created per command (so it binds to the current stdout) with markup
and highlighting off: run names and log messages are printed literally.
"""

from __future__ import annotations

import enum
import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


class OutputFormat(enum.StrEnum):
    """``-o/--output`` choices."""

    table = "table"
    json = "json"


OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        case_sensitive=False,
        help="table for people, json (on stdout, nothing else) for programs.",
    ),
]


def emit_json(data: Any) -> None:
    """Write ``data`` as indented JSON followed by a newline to stdout."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


PIPE_WIDTH = 200
"""Console width when stdout is not a terminal, so piped tables are not wrapped at 80."""


def console() -> Console:
    """A console on the current stdout that prints text literally (no markup, no emoji)."""
    from rich.console import Console

    out = Console(highlight=False, markup=False, emoji=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = PIPE_WIDTH
    return out


def new_table(*columns: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def key_value_table(rows: list[tuple[str, str]], *, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE, show_header=False, title_justify="left")
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


def styled(text: str, style: str) -> Text:
    from rich.text import Text

    return Text(text, style=style)
