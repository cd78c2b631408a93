"""Text the store can hold: lone surrogates and non-finite numbers.

Python strings may hold lone surrogates (``"\\ud800"``, or the
``surrogateescape`` form of a non-UTF-8 byte in a file name from
``os.listdir``); UTF-8 (SQLite, PostgreSQL, JSON over HTTP) cannot. JSON has
no ``NaN`` or ``Infinity``. The store's policy, the same on SQLite, PostgreSQL
and over HTTP:

* What a run records as it goes (logs, state messages, run names, tags,
  parameters, task inputs) must never crash the run: a lone surrogate is
  stored as its backslash escape (``"\\ud800"`` becomes the six characters
  ``\\ud800``), readable and lossless for the reader. :func:`escape_deep`
  does this, and the writers apply it only to an op the database refused
  for its encoding, so the fast path costs nothing.
* What users store on purpose (variables, artifacts, block documents,
  concurrency-limit tags) is refused before anything is written:
  :func:`check_text` and :func:`check_json` raise
  :class:`~headwater.errors.InvalidRequest` (a ``ValueError``; HTTP 422)
  naming the field.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from headwater.errors import InvalidRequest

__all__ = [
    "check_json",
    "check_text",
    "escape_deep",
    "escape_surrogates",
    "is_encoding_error",
]

_MAX_DEPTH = 200


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate as its ``\\udXXX`` escape (``text`` itself when it has none)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def escape_deep(value: Any, _depth: int = 0) -> Any:
    """``value`` with :func:`escape_surrogates` applied to every string inside it.

    Walks tuples, lists, sets, dicts (keys too) and dataclass records; a
    ``str`` subclass (a ``StateType`` member) without surrogates is returned
    as it is. Other values are returned unchanged.
    """
    if isinstance(value, str):
        return escape_surrogates(value)
    if _depth > _MAX_DEPTH:
        return value
    depth = _depth + 1
    if isinstance(value, list):
        return [escape_deep(v, depth) for v in value]
    if isinstance(value, tuple):
        return tuple(escape_deep(v, depth) for v in value)
    if isinstance(value, frozenset | set):
        return type(value)(escape_deep(v, depth) for v in value)
    if isinstance(value, dict):
        return {escape_deep(k, depth): escape_deep(v, depth) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: escape_deep(getattr(value, f.name), depth)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


def is_encoding_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it wraps) is a text encoding failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UnicodeError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def check_text(field: str, text: str) -> str:
    """``text``, or :class:`InvalidRequest` naming ``field`` if it holds a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(
            f"{field} holds a lone surrogate ({text[exc.start : exc.start + 1]!a} at position "
            f"{exc.start}), which UTF-8 cannot store; escape it first, e.g. "
            f"text.encode('utf-8', 'backslashreplace').decode()"
        ) from None
    return text


def check_json(field: str, value: Any) -> Any:
    """``value``, or :class:`InvalidRequest` naming ``field`` (and where inside it) if it holds
    a lone surrogate or a float JSON cannot hold (``NaN``, ``Infinity``, ``-Infinity``)."""
    _check(field, value, 0)
    return value


def _check(where: str, value: Any, depth: int) -> None:
    if isinstance(value, str):
        check_text(where, value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequest(
                f"{where} is {value!r}, which JSON cannot hold (NaN and Infinity are refused); "
                f"store it as a string or null"
            )
    elif depth > _MAX_DEPTH:
        return
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                check_text(f"a key of {where}", key)
            _check(f"{where}[{key!r}]", item, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(f"{where}[{index}]", item, depth + 1)
