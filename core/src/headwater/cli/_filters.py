"""Checking of filter options shared by several commands (``--state``, ``--level``).

What a ``--state`` value means is :mod:`headwater._state_filters` (shared with the server).
"""

from __future__ import annotations

import logging

import typer

from headwater._state_filters import parse_states
from headwater._store.filters import InvalidFilter

__all__ = ["LEVELS", "level_callback", "level_name", "parse_level", "state_callback"]


def state_callback(values: list[str] | None) -> list[str] | None:
    """Typer callback validating ``--state`` values early, so errors name the option."""
    try:
        parse_states(values)
    except InvalidFilter as exc:
        raise typer.BadParameter(exc.problem) from None
    return values


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_level(value: str | None) -> int:
    """A ``--level`` value (name in any case, or a number) as a logging level number."""
    if value is None:
        return 0
    text = value.strip()
    if text.isdigit():
        return int(text)
    if text.upper() in LEVELS:
        return int(logging.getLevelName(text.upper()))
    raise typer.BadParameter(
        f"{value!r} is not a log level; use one of {', '.join(LEVELS)} or a number"
    )


def level_callback(value: str | None) -> str | None:
    parse_level(value)
    return value


def level_name(level: int) -> str:
    name = logging.getLevelName(level)
    return name if isinstance(name, str) and not name.startswith("Level ") else str(level)
