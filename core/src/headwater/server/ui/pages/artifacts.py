"""Artifacts in the UI: the latest version of every key (or every version of one key),
and one artifact rendered safely - markdown without raw HTML, tables as HTML tables,
links as anchors only for http(s) - with the other versions of its key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from headwater.errors import ObjectNotFound
from headwater.server._params import current_store
from headwater.server.ui._markdown import is_safe_url, render_markdown
from headwater.server.ui._render import render
from headwater.server.ui.pages.blocks import not_found

__all__ = ["router", "table_columns"]

router = APIRouter()

_LIST_LIMIT = 500


def table_columns(rows: list[Any]) -> list[str]:
    """The union of the rows' keys, in the order they first appear."""
    columns: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            columns.update(dict.fromkeys(str(k) for k in row))
    return list(columns)


def _cell(value: Any) -> str:
    import json

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@router.get("/artifacts", response_class=HTMLResponse)
def list_artifacts(request: Request, key: str | None = None) -> HTMLResponse:
    key = (key or "").strip() or None
    records = current_store().read_artifacts(key=key, limit=_LIST_LIMIT)
    if key is None:  # one row per key: its latest version (records are newest first)
        seen: set[str] = set()
        latest = []
        for record in records:
            if record.key is not None:
                if record.key in seen:
                    continue
                seen.add(record.key)
            latest.append(record)
        records = latest
    return render(
        request,
        "artifacts.html",
        title="Artifacts",
        active="/artifacts",
        artifacts=records,
        key=key or "",
        limit=_LIST_LIMIT,
    )


@router.get("/artifacts/{artifact_id}", response_class=HTMLResponse)
def show_artifact(request: Request, artifact_id: str) -> HTMLResponse:
    store = current_store()
    try:
        record = store.read_artifact(artifact_id)
    except ObjectNotFound:
        return not_found(
            request, f"artifact {artifact_id!r}", back="/artifacts", active="/artifacts"
        )
    context: dict[str, Any] = {}
    if record.type == "markdown":
        context["html"] = Markup(render_markdown(str(record.data)))  # safe: raw HTML escaped
    elif record.type == "table":
        rows = record.data if isinstance(record.data, list) else []
        columns = table_columns(rows)
        context["columns"] = columns
        context["rows"] = [
            [_cell(row.get(c)) if isinstance(row, dict) else "" for c in columns] for row in rows
        ]
    elif record.type == "link":
        data = record.data if isinstance(record.data, dict) else {}
        link = str(data.get("link") or "")
        context["link"] = link
        context["link_text"] = data.get("link_text") or link
        context["link_safe"] = is_safe_url(link, schemes=frozenset({"http", "https"}))
    else:
        context["raw"] = _cell(record.data)
    versions = store.read_artifacts(key=record.key) if record.key is not None else [record]
    return render(
        request,
        "artifact.html",
        title=f"Artifact {record.key or record.id[:8]}",
        active="/artifacts",
        artifact=record,
        versions=versions,
        **context,
    )
