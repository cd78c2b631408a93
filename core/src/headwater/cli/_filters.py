"""Parsing of filter options shared by several commands (``--state``, ``--level``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import typer

from headwater.states import StateType

STATE_NAMES: tuple[str, ...] = ("AwaitingRetry", "Cached", "Late", "Retrying", "TimedOut")
"""Named states whose name differs from their type (``TimedOut`` is a ``FAILED``)."""

_TYPES = {t.value for t in StateType}
_NAME_TYPES = {
    "AwaitingRetry": "SCHEDULED",
    "Cached": "COMPLETED",
    "Late": "SCHEDULED",
    "Retrying": "RUNNING",
    "TimedOut": "FAILED",
}


def _squash(value: str) -> str:
    return value.replace("_", "").replace("-", "").replace(" ", "").lower()


_LOOKUP = {_squash(t): t for t in _TYPES} | {_squash(n): n for n in STATE_NAMES}


@dataclass(frozen=True, slots=True)
class StateFilter:
    """``--state`` values split into state types and state names (either may match)."""

    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.types or self.names)

    def matches(self, state_type: str, state_name: str) -> bool:
        if not self:
            return True
        return state_type in self.types or state_name in self.names

    def covering_types(self) -> list[str]:
        """Every state type that a matching run can have (to narrow a store query)."""
        return sorted(set(self.types) | {_NAME_TYPES[n] for n in self.names})


def parse_states(values: list[str] | None) -> StateFilter:
    """Turn ``--state`` values (types like ``failed`` or names like ``TimedOut``,
    any case) into a :class:`StateFilter`; unknown values are a usage error."""
    types: list[str] = []
    names: list[str] = []
    for raw in values or []:
        canonical = _LOOKUP.get(_squash(raw))
        if canonical is None:
            choices = ", ".join(sorted(_TYPES) + list(STATE_NAMES))
            raise typer.BadParameter(f"{raw!r} is not a state type or name; use one of {choices}")
        target = types if canonical in _TYPES else names
        if canonical not in target:
            target.append(canonical)
    return StateFilter(tuple(types), tuple(names))


def state_callback(values: list[str] | None) -> list[str] | None:
    """Typer callback validating ``--state`` values early, so errors name the option."""
    parse_states(values)
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
