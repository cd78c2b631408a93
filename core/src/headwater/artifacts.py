"""Artifacts: markdown, tables and links that flows and tasks publish for people.

Each ``create_*_artifact`` function saves one artifact and returns its id.
Inside a run it records the flow run (and task run) it came from. Artifacts
sharing a ``key`` are versions of one another: each new one gets the next
version, and ``headwater artifact inspect KEY`` shows the latest.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from headwater._store import get_store
from headwater._store.records import ArtifactRecord
from headwater.context import flow_run_ctx, task_run_ctx

__all__ = [
    "create_link_artifact",
    "create_markdown_artifact",
    "create_table_artifact",
    "validate_artifact_key",
]

_KEY = re.compile(r"[a-z0-9-]{1,255}")


def validate_artifact_key(key: object) -> str:
    """``key`` if it is a valid artifact key, else a ValueError naming it."""
    if not isinstance(key, str) or _KEY.fullmatch(key) is None:
        raise ValueError(
            f"invalid artifact key {key!r}: use 1 to 255 lowercase letters, digits or dashes"
        )
    return key


def _check_text(param: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{param} must be a string, got {type(value).__name__}")


def _save(kind: str, data: Any, key: str | None, description: str | None) -> str:
    if key is not None:
        validate_artifact_key(key)
    _check_text("description", description, optional=True)
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the {kind} artifact's data is not JSON-serialisable: {exc}") from None
    task_ctx = task_run_ctx.get()
    flow_ctx = flow_run_ctx.get()
    if task_ctx is not None:
        flow_run_id, task_run_id = task_ctx.flow_run_id, task_ctx.task_run_id
    else:
        flow_run_id = flow_ctx.flow_run_id if flow_ctx is not None else None
        task_run_id = None
    record = ArtifactRecord(
        id=str(uuid.uuid4()),
        key=key,
        version=0,
        type=kind,  # type: ignore[arg-type]
        data=data,
        description=description,
        flow_run_id=flow_run_id,
        task_run_id=task_run_id,
        created=time.time(),
    )
    return get_store().create_artifact(record).id


def create_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> str:
    """Save a markdown artifact; returns its id."""
    _check_text("markdown", markdown, optional=False)
    return _save("markdown", markdown, key, description)


def _table_rows(table: object) -> list[dict[str, Any]]:
    if isinstance(table, Mapping):
        columns = {str(k): list(v) for k, v in table.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError("table columns must all have the same length")
        count = lengths.pop() if lengths else 0
        return [{name: col[i] for name, col in columns.items()} for i in range(count)]
    if isinstance(table, Sequence) and not isinstance(table, str | bytes):
        rows: list[dict[str, Any]] = []
        for i, row in enumerate(table):
            if not isinstance(row, Mapping):
                raise ValueError(f"table row {i} must be a dict, got {type(row).__name__}")
            rows.append({str(k): v for k, v in row.items()})
        return rows
    raise ValueError(
        f"table must be a list of dicts or a dict of lists, got {type(table).__name__}"
    )


def create_table_artifact(
    table: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
    key: str | None = None,
    description: str | None = None,
) -> str:
    """Save a table artifact (a list of row dicts, or a dict of equal-length columns);
    it is stored as a list of row dicts. Returns its id."""
    return _save("table", _table_rows(table), key, description)


def create_link_artifact(
    link: str,
    link_text: str | None = None,
    key: str | None = None,
    description: str | None = None,
) -> str:
    """Save a link artifact (a URL with optional display text); returns its id."""
    _check_text("link", link, optional=False)
    _check_text("link_text", link_text, optional=True)
    return _save("link", {"link": link, "link_text": link_text}, key, description)
