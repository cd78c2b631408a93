"""Which runs a read selects: the store's run filter and its errors.

The store compares state types as plain strings (it imports nothing from
:mod:`headwater.states`); :data:`STATE_TYPES` lists the ones it knows.
"""

from __future__ import annotations

from headwater.errors import ConfigurationError

__all__ = ["STATE_TYPES", "InvalidFilter"]

STATE_TYPES: tuple[str, ...] = (
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CRASHED",
    "CANCELLING",
    "CANCELLED",
    "PAUSED",
)
"""Every state type a run can be in (the values of ``headwater.states.StateType``)."""


class InvalidFilter(ConfigurationError):
    """A run filter has a value that cannot be used; ``field`` names it, ``problem`` says why.

    The message is ``"`field` problem"``; a caller that calls the field something
    else (a query parameter, a command-line option) formats ``problem`` with its own name.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"`{field}` {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type[InvalidFilter], tuple[str, str]]:
        return (type(self), (self.field, self.problem))
