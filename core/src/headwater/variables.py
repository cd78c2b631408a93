"""Variables: named JSON values kept in the store, shared by every flow and the CLI.

``Variable.get("threshold", default=10)`` reads one; ``Variable.set(...)``
writes one (refusing to replace an existing value unless ``overwrite=True``).
Each has an ``a``-prefixed async twin that runs the store call in a thread.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import re
import time
from typing import Any

from headwater._store import get_store
from headwater._store.records import VariableRecord
from headwater._store.text import check_json
from headwater.errors import ObjectNotFound

__all__ = ["Variable", "validate_variable_name"]

_NAME = re.compile(r"[a-z0-9_-]{1,255}")


def validate_variable_name(name: object) -> str:
    """``name`` if it is a valid variable name, else a ValueError naming it."""
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise ValueError(
            f"invalid variable name {name!r}: use 1 to 255 lowercase letters, digits, '-' or '_'"
        )
    return name


def _checked_value(name: str, value: Any) -> Any:
    # InvalidRequest (a ValueError) naming where a lone surrogate or NaN/Infinity is.
    check_json(f"the value of variable {name!r}", value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"the value of variable {name!r} is not JSON-serialisable: {exc}"
        ) from None
    return value


def _checked_tags(name: str, tags: Any) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise ValueError(f"the tags of variable {name!r} must be a list of strings")
    return list(check_json(f"the tags of variable {name!r}", list(tags)))


def _store() -> Any:
    return get_store()


class Variable:
    """A named JSON value in the store (name, value, tags, created, updated)."""

    __slots__ = ("created", "name", "tags", "updated", "value")

    def __init__(
        self, name: str, value: Any, tags: list[str], created: float, updated: float
    ) -> None:
        self.name = name
        self.value = value
        self.tags = tags
        self.created = created
        self.updated = updated

    def __repr__(self) -> str:
        return f"Variable(name={self.name!r}, value={self.value!r}, tags={self.tags!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Variable):
            return NotImplemented
        return (self.name, self.value, self.tags) == (other.name, other.value, other.tags)

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def get(cls, name: str, default: Any = None) -> Any:
        """The value of variable ``name``, or ``default`` when it does not exist."""
        validate_variable_name(name)
        try:
            return _store().read_variable(name).value
        except ObjectNotFound:
            return default

    @classmethod
    def set(
        cls,
        name: str,
        value: Any,
        *,
        overwrite: bool = False,
        tags: list[str] | None = None,
    ) -> Variable:
        """Save ``value`` (JSON-serialisable) as variable ``name`` and return it.

        Raises :class:`headwater.errors.ObjectAlreadyExists` when the variable
        exists and ``overwrite`` is false; ``ValueError`` for a bad name, value
        or tags. Nothing is saved when it raises.
        """
        validate_variable_name(name)
        _checked_value(name, value)
        tag_list = _checked_tags(name, tags)
        now = time.time()
        record = _store().save_variable(
            VariableRecord(name, value, tag_list, now, now), overwrite=overwrite
        )
        return cls(record.name, record.value, record.tags, record.created, record.updated)

    @classmethod
    def unset(cls, name: str) -> bool:
        """Delete variable ``name``; True if it existed, False if there was nothing to delete."""
        validate_variable_name(name)
        try:
            _store().delete_variable(name)
        except ObjectNotFound:
            return False
        return True

    @classmethod
    def list(cls) -> builtins.list[Variable]:
        """Every variable, by name."""
        return [
            cls(r.name, r.value, r.tags, r.created, r.updated) for r in _store().read_variables()
        ]

    # -- async twins -------------------------------------------------------------
    @classmethod
    async def aget(cls, name: str, default: Any = None) -> Any:
        """Async :meth:`get`."""
        return await asyncio.to_thread(cls.get, name, default)

    @classmethod
    async def aset(
        cls,
        name: str,
        value: Any,
        *,
        overwrite: bool = False,
        tags: builtins.list[str] | None = None,
    ) -> Variable:
        """Async :meth:`set`."""
        return await asyncio.to_thread(lambda: cls.set(name, value, overwrite=overwrite, tags=tags))

    @classmethod
    async def aunset(cls, name: str) -> bool:
        """Async :meth:`unset`."""
        return await asyncio.to_thread(cls.unset, name)

    @classmethod
    async def alist(cls) -> builtins.list[Variable]:
        """Async :meth:`list`."""
        return await asyncio.to_thread(cls.list)
