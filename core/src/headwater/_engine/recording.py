"""Turning engine objects into store records.

The engine holds :class:`~headwater.states.State` objects (with in-memory
data); the store takes plain :class:`~headwater._store.records.StateRecord`
rows with JSON-safe fields. This module is the one place that converts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from headwater._store.records import RunKind, StateRecord
from headwater._store.text import escape_surrogates
from headwater.masking import MASK, mask_secrets
from headwater.states import State, StateType

__all__ = [
    "NOT_JSON_MARKER",
    "display_state",
    "exception_message",
    "has_masked",
    "has_non_json",
    "json_safe",
    "json_safe_parameters",
    "recorded_parameters",
    "state_record",
]

NOT_JSON_MARKER = "__headwater_not_json__"
"""Key of the dict that stands in for a parameter value JSON cannot hold."""

_MAX_REPR = 200
_TYPE_TEXT = {t: t.value for t in StateType}


def state_record(state: State, run_kind: RunKind, run_id: str) -> StateRecord:
    """The store row for ``state`` of the run ``run_id``."""
    return StateRecord(
        id=state.id,
        run_id=run_id,
        run_kind=run_kind,
        type=_TYPE_TEXT[state.type],
        name=state.name,
        timestamp=state.timestamp,
        message=state.message,
        result_key=state.result_key,
        cache_key=state.cache_key,
    )


def exception_message(kind: str, exc: BaseException) -> str:
    """``"Task run encountered an exception ZeroDivisionError: division by zero"``.

    Secret values resolved in this process are masked: this message is stored
    on the run's state and shown by the CLI.
    """
    text = mask_secrets(str(exc))
    name = type(exc).__name__
    return (
        f"{kind} run encountered an exception {name}: {text}"
        if text
        else f"{kind} run encountered an exception {name}"
    )


def json_safe(value: Any, _depth: int = 0) -> Any:
    """``value`` if JSON can hold it unchanged, else a marked summary ``{NOT_JSON_MARKER: repr}``."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        # A lone surrogate (a file name from os.listdir with a non-UTF-8 byte) cannot
        # be stored as text: keep its escaped repr, marked so a retry refuses it.
        return value if escape_surrogates(value) is value else {NOT_JSON_MARKER: repr(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {NOT_JSON_MARKER: repr(value)}
    if _depth < 20:
        if type(value) is list:
            return [json_safe(v, _depth + 1) for v in value]
        if type(value) is dict and all(type(k) is str for k in value):
            return {k: json_safe(v, _depth + 1) for k, v in value.items()}
    text = mask_secrets(repr(value))  # before cutting: a cut secret is no longer matched
    if len(text) > _MAX_REPR:
        text = text[: _MAX_REPR - 3] + "..."
    return {NOT_JSON_MARKER: text}


def json_safe_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as the store keeps them: JSON values, or marked summaries of the rest."""
    return {name: json_safe(value) for name, value in parameters.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {mask_secrets(k): _masked(v) for k, v in value.items()}
    return value


def recorded_parameters(
    parameters: Mapping[str, Any], secret_names: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Parameters as the store keeps them, with no secret in them.

    :func:`json_safe_parameters`, then every registered secret masked in every
    string (keys included), and each parameter named in ``secret_names`` (those
    annotated as a secret type, ``SecretStr`` and the like) replaced whole by
    ``********``, whatever value it was called with. The run itself gets the
    real values; only the record is masked.
    """
    return {
        mask_secrets(name): MASK if name in secret_names else _masked(json_safe(value))
        for name, value in parameters.items()
    }


def has_masked(value: Any) -> bool:
    """Whether a stored parameter holds the mask, so its real value was never stored."""
    if isinstance(value, str):
        return MASK in value
    if isinstance(value, dict):
        return any(has_masked(k) or has_masked(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_masked(v) for v in value)
    return False


def has_non_json(value: Any) -> bool:
    """Whether a stored parameter summary holds a value JSON could not keep."""
    if isinstance(value, dict):
        return NOT_JSON_MARKER in value or any(has_non_json(v) for v in value.values())
    if isinstance(value, list):
        return any(has_non_json(v) for v in value)
    return False


def display_state(state: State) -> str:
    """How log lines show a state, as Prefect does: ``Completed()``, ``Failed('...')``."""
    return f"{state.name}({state.message!r})" if state.message else f"{state.name}()"
