"""``state`` values as people write them (a type like ``failed`` or a name like
``TimedOut``, any case and spelling), parsed once for the CLI, the API and the UI.

A layer below both the CLI and the server (it imports only :mod:`headwater.states`
and the store's filter errors), so neither imports the other to share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from headwater._store.filters import InvalidFilter
from headwater.states import NAMED_STATES, StateType

__all__ = ["STATE_VALUES", "StateFilter", "parse_states"]

_TYPES: tuple[str, ...] = tuple(sorted(t.value for t in StateType))

STATE_VALUES: tuple[str, ...] = _TYPES + tuple(NAMED_STATES)
"""Every value :func:`parse_states` accepts in its canonical spelling: the types, then the names."""


def _squash(value: str) -> str:
    return value.replace("_", "").replace("-", "").replace(" ", "").lower()


_LOOKUP = {_squash(v): v for v in STATE_VALUES}


@dataclass(frozen=True, slots=True)
class StateFilter:
    """``state`` values split into state types and state names (either may match)."""

    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.types or self.names)


def parse_states(values: Iterable[str] | None) -> StateFilter:
    """Turn ``state`` values into a :class:`StateFilter`.

    Raises :class:`~headwater._store.filters.InvalidFilter` for field ``state``
    when a value is neither a state type nor a named state; its ``problem`` lists the choices.
    """
    types: list[str] = []
    names: list[str] = []
    for raw in values or ():
        canonical = _LOOKUP.get(_squash(raw))
        if canonical is None:
            choices = ", ".join(STATE_VALUES)
            raise InvalidFilter(
                "state", f"{raw!r} is not a state type or name; use one of {choices}"
            )
        target = types if canonical in _TYPES else names
        if canonical not in target:
            target.append(canonical)
    return StateFilter(tuple(types), tuple(names))
