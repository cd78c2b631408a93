"""Flow runs: the filtered list (with a polled ``<tbody>`` for live refresh), one flow run
(header, state history, timeline, dependency graph, task runs, logs, artifacts, Retry and
Cancel), and one task run.

Everything reads through :func:`current_store`. The Retry and Cancel forms redirect back
with a message code (``?msg=...``), never with text from the request, so a crafted link
cannot put words on the page. Retry starts ``headwater flow-run retry`` as a detached
process on the server's machine, with the server's environment.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headwater._files import make_private_dir
from headwater._store.records import FlowRunRecord, LogRecord, TaskRunRecord
from headwater.errors import InvalidStateTransition, ObjectNotFound
from headwater.server._params import current_store
from headwater.server._security import require_admin, require_csrf
from headwater.server.ui._graph import build_graph
from headwater.server.ui._render import render
from headwater.server.ui._run_filters import SINCE, STATE_CHOICES, parse_filters, select_runs
from headwater.server.ui._timeline import STATE_ORDER, build_timeline
from headwater.settings import get_settings

__all__ = ["FINAL", "LOG_PAGE", "RETRYABLE", "TASK_PAGE", "router"]

router = APIRouter()

FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
RETRYABLE = frozenset({"FAILED", "CRASHED", "CANCELLED"})
TASK_PAGE = 100
"""Task runs per page of a flow run's table."""
LOG_PAGE = 500
"""Log lines rendered with the page; the live tail fetches the rest."""
LIST_LIMITS = (25, 50, 100, 200)
LEVELS = (("", "All levels"), ("10", "DEBUG"), ("20", "INFO"), ("30", "WARNING"), ("40", "ERROR"))

_MESSAGES: dict[str, tuple[str, str]] = {
    "cancelled": ("success", "Flow run cancelled."),
    "cancelling": (
        "info",
        "Cancelling: the process running this flow run will stop it within a few seconds.",
    ),
    "cancel-final": ("error", "This flow run has already finished; there is nothing to cancel."),
    "retry-started": (
        "success",
        "Retry started on the server's machine; this page follows the run as it goes.",
    ),
    "retry-refused": (
        "error",
        "Only Failed, Crashed or Cancelled flow runs can be retried.",
    ),
    "retry-failed": ("error", "The retry process could not be started; see the server's log."),
}

_log = logging.getLogger("headwater.server.ui")
_children: list[subprocess.Popen[bytes]] = []


def _duration(start: float | None, end: float | None, state_type: str, now: float) -> float | None:
    if start is None:
        return None
    if end is None:
        if state_type in FINAL:
            return None
        end = now
    return max(end - start, 0.0)


def _not_found(request: Request, kind: str, key: str) -> HTMLResponse:
    return render(
        request,
        "_runs_404.html",
        status_code=404,
        title="Not found",
        active="/flow-runs",
        kind=kind,
        key=key,
        ambiguous=_ambiguity(key) if kind == "flow run" else None,
    )


def _ambiguity(flow_run_id: str) -> str | None:
    """The store's message when ``flow_run_id`` is a prefix of several runs' ids."""
    try:
        current_store().read_flow_run(flow_run_id)
    except ObjectNotFound as exc:
        return str(exc) if "ambiguous" in str(exc).lower() else None
    return None


def _find_flow_run(flow_run_id: str) -> FlowRunRecord | None:
    try:
        return current_store().read_flow_run(flow_run_id)
    except ObjectNotFound:
        return None


def _flow_names() -> list[str]:
    try:
        return [flow.name for flow in current_store().read_flows()]
    except NotImplementedError:  # a store that cannot list flows: a plain text field
        return []


def _row_context(runs: list[FlowRunRecord], now: float) -> list[dict[str, Any]]:
    store = current_store()
    rows = []
    for run in runs:
        rows.append(
            {
                "run": run,
                "duration": _duration(run.start_time, run.end_time, run.state_type, now),
                # One indexed COUNT per row; a page holds at most 200 rows.
                "task_count": store.count_task_runs(flow_run_id=run.id),
            }
        )
    return rows


def _list_context(request: Request) -> dict[str, Any]:
    params = request.query_params
    filters = parse_filters(params)
    try:
        limit = int(params.get("limit", "50"))
        offset = max(int(params.get("offset", "0")), 0)
    except ValueError:
        limit, offset = 50, 0
    limit = min(max(limit, 1), 200)
    runs, total = select_runs(current_store(), filters, limit=limit, offset=offset)
    now = time.time()
    pages = max((total + limit - 1) // limit, 1)
    return {
        "filters": filters,
        "rows": _row_context(runs, now),
        "total": total,
        "limit": limit,
        "offset": offset,
        "page_number": offset // limit + 1,
        "pages": pages,
        "prev_query": filters.query(limit=limit, offset=max(offset - limit, 0))
        if offset > 0
        else None,
        "next_query": filters.query(limit=limit, offset=offset + limit)
        if offset + limit < total
        else None,
        "rows_query": filters.query(limit=limit, offset=offset),
    }


@router.get("/flow-runs", response_class=HTMLResponse)
def flow_runs(request: Request) -> HTMLResponse:
    """The flow-run list with its filter form and pagination."""
    context = _list_context(request)
    filters = context["filters"]
    return render(
        request,
        "flow_runs.html",
        title="Flow runs",
        active="/flow-runs",
        flow_names=_flow_names(),
        state_choices=STATE_CHOICES,
        since_choices=SINCE,
        limits=LIST_LIMITS,
        flash="; ".join(filters.errors) or None,
        flash_kind="error",
        **context,
    )


@router.get("/flow-runs/rows", response_class=HTMLResponse)
def flow_run_rows(request: Request) -> HTMLResponse:
    """Just the list's ``<tbody>``, for the page's live refresh (same query as the page)."""
    return render(request, "_flow_run_rows.html", **_list_context(request))


def _log_lines(logs: list[LogRecord], names: dict[str, str]) -> list[dict[str, Any]]:
    lines = []
    for log in logs:
        stamp = dt.datetime.fromtimestamp(log.timestamp)
        level = logging.getLevelName(log.level)
        lines.append(
            {
                "time": stamp.strftime("%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}",
                "level": level if isinstance(level, str) else str(log.level),
                "task_run_id": log.task_run_id,
                "task": names.get(log.task_run_id or "", ""),
                "message": log.message,
            }
        )
    return lines


def _charts(run: FlowRunRecord, task_runs: list[TaskRunRecord], now: float) -> dict[str, Any]:
    return {
        "timeline": build_timeline(run, task_runs, now=now),
        "graph": build_graph(task_runs),
    }


@router.get("/flow-runs/{flow_run_id}", response_class=HTMLResponse)
def flow_run(request: Request, flow_run_id: str) -> HTMLResponse:
    """One flow run: header, history, timeline, graph, task runs, logs and artifacts."""
    run = _find_flow_run(flow_run_id)
    if run is None:
        return _not_found(request, "flow run", flow_run_id)
    store = current_store()
    params = request.query_params
    now = time.time()
    task_runs = store.read_task_runs(flow_run_id=run.id)
    state_counts: dict[str, int] = {}
    for task_run in task_runs:
        state_counts[task_run.state_type] = state_counts.get(task_run.state_type, 0) + 1
    task_state = params.get("task_state", "").upper()
    if task_state not in STATE_ORDER:
        task_state = ""
    shown = [t for t in task_runs if t.state_type == task_state] if task_state else task_runs
    try:
        task_offset = max(int(params.get("task_offset", "0")), 0)
    except ValueError:
        task_offset = 0
    page = shown[task_offset : task_offset + TASK_PAGE]
    names = {t.id: t.name for t in task_runs}
    try:
        min_level = int(params.get("log_level", "0") or 0)
    except ValueError:
        min_level = 0
    logs = store.read_logs(flow_run_id=run.id, min_level=min_level, limit=LOG_PAGE)
    try:
        artifacts = store.read_artifacts(flow_run_id=run.id)
    except NotImplementedError:
        artifacts = []
    flash_kind, flash = _MESSAGES.get(params.get("msg", ""), ("info", ""))

    def task_query(**changes: Any) -> str:
        from urllib.parse import urlencode

        values = {"task_state": task_state, "task_offset": task_offset, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    return render(
        request,
        "flow_run.html",
        title=f"{run.name} · Flow run",
        active="/flow-runs",
        run=run,
        final=run.state_type in FINAL,
        retryable=run.state_type in RETRYABLE,
        await_retry=params.get("msg") == "retry-started" and run.state_type in RETRYABLE,
        duration=_duration(run.start_time, run.end_time, run.state_type, now),
        states=store.read_states(run.id),
        parameters_json=_pretty(run.parameters),
        task_count=len(task_runs),
        state_counts=[(s, state_counts[s]) for s in STATE_ORDER if s in state_counts],
        task_state=task_state,
        task_runs_page=[(t, _duration(t.start_time, t.end_time, t.state_type, now)) for t in page],
        task_offset=task_offset,
        task_page_size=TASK_PAGE,
        task_shown=len(shown),
        task_prev=task_query(task_offset=max(task_offset - TASK_PAGE, 0))
        if task_offset > 0
        else None,
        task_next=task_query(task_offset=task_offset + TASK_PAGE)
        if task_offset + TASK_PAGE < len(shown)
        else None,
        logs=_log_lines(logs, names),
        log_level=min_level,
        log_levels=LEVELS,
        log_page=LOG_PAGE,
        task_names=names if len(names) <= 300 else {},
        artifacts=artifacts,
        flash=flash or None,
        flash_kind=flash_kind,
        **_charts(run, task_runs, now),
    )


@router.get("/flow-runs/{flow_run_id}/charts", response_class=HTMLResponse)
def flow_run_charts(request: Request, flow_run_id: str) -> HTMLResponse:
    """The timeline and graph of a flow run, for the page to swap in while it runs."""
    run = _find_flow_run(flow_run_id)
    if run is None:
        return _not_found(request, "flow run", flow_run_id)
    task_runs = current_store().read_task_runs(flow_run_id=run.id)
    return render(
        request,
        "_run_charts.html",
        run=run,
        task_count=len(task_runs),
        **_charts(run, task_runs, time.time()),
    )


def _pretty(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _back(run_id: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"/flow-runs/{run_id}?msg={msg}", status_code=303)


@router.post(
    "/flow-runs/{flow_run_id}/cancel",
    dependencies=[Depends(require_admin), Depends(require_csrf)],
    response_model=None,
)
def cancel(request: Request, flow_run_id: str) -> Response:
    """Cancel the run (at once, or by asking its process to stop); back to its page."""
    run = _find_flow_run(flow_run_id)
    if run is None:
        return _not_found(request, "flow run", flow_run_id)
    try:
        state_type = current_store().cancel_flow_run(run.id)
    except InvalidStateTransition:
        return _back(run.id, "cancel-final")
    except ObjectNotFound:
        return _not_found(request, "flow run", flow_run_id)
    return _back(run.id, "cancelling" if state_type == "CANCELLING" else "cancelled")


def _logs_dir() -> str:
    path = make_private_dir(get_settings().home / "logs")
    return str(path)


def start_retry(run_id: str) -> subprocess.Popen[bytes]:
    """Start ``headwater flow-run retry <run_id>`` detached, with the server's environment;
    its output goes to ``HEADWATER_HOME/logs/retry-<id>-<time>.log``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_path = os.path.join(_logs_dir(), f"retry-{run_id}-{stamp}.log")
    with open(log_path, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "headwater.cli", "flow-run", "retry", run_id],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,
            close_fds=True,
        )
    # Reap it when it ends, so it never lingers as a zombie of the server.
    _children.append(child)
    threading.Thread(
        target=_reap, args=(child,), name="headwater-retry-reaper", daemon=True
    ).start()
    return child


def _reap(child: subprocess.Popen[bytes]) -> None:
    child.wait()
    try:
        _children.remove(child)
    except ValueError:  # pragma: no cover - removed twice
        pass


@router.post(
    "/flow-runs/{flow_run_id}/retry",
    dependencies=[Depends(require_admin), Depends(require_csrf)],
    response_model=None,
)
def retry(request: Request, flow_run_id: str) -> Response:
    """Start a retry of a Failed, Crashed or Cancelled run on the server's machine."""
    run = _find_flow_run(flow_run_id)
    if run is None:
        return _not_found(request, "flow run", flow_run_id)
    if run.state_type not in RETRYABLE:
        return _back(run.id, "retry-refused")
    try:
        start_retry(run.id)
    except OSError:
        _log.exception("could not start the retry of flow run %s", run.id)
        return _back(run.id, "retry-failed")
    return _back(run.id, "retry-started")


@router.get("/task-runs/{task_run_id}", response_class=HTMLResponse)
def task_run(request: Request, task_run_id: str) -> HTMLResponse:
    """One task run: its state, history, inputs and logs."""
    store = current_store()
    try:
        run = store.read_task_run(task_run_id)
    except ObjectNotFound:
        return _not_found(request, "task run", task_run_id)
    flow_run_record = _find_flow_run(run.flow_run_id) if run.flow_run_id else None
    upstream_ids = [*{i for ids in run.task_inputs.values() for i in ids}, *run.wait_for]
    upstream: list[TaskRunRecord] = []
    for upstream_id in dict.fromkeys(upstream_ids):
        try:
            upstream.append(store.read_task_run(upstream_id))
        except ObjectNotFound:
            continue
    logs = store.read_logs(task_run_id=run.id, limit=LOG_PAGE)
    return render(
        request,
        "task_run.html",
        title=f"{run.name} · Task run",
        active="/flow-runs",
        task_run=run,
        flow_run=flow_run_record,
        duration=_duration(run.start_time, run.end_time, run.state_type, time.time()),
        states=store.read_states(run.id),
        upstream=upstream,
        logs=_log_lines(logs, {run.id: run.name}),
    )
