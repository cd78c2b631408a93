"""The dashboard (``/``): flow runs counted by state type, failures first, then the latest."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from headwater._store.records import FlowRunRecord
from headwater.server._params import current_store
from headwater.server.ui._render import render
from headwater.server.ui._timeline import STATE_ORDER

__all__ = ["FAILURES", "RECENT", "count_by_state", "router"]

router = APIRouter()

RECENT = 15
"""How many of the latest flow runs the dashboard lists."""
FAILURES = 10
"""How many of the latest failed or crashed flow runs it lists above them."""


def count_by_state() -> dict[str, int]:
    """How many flow runs are in each state type (only the types that have some)."""
    store = current_store()
    counts: dict[str, int] = {}
    for state_type in STATE_ORDER:
        n = store.count_flow_runs(state_types=[state_type])
        if n:
            counts[state_type] = n
    return counts


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    """Counts by state (linking to the filtered list), recent failures, the latest runs."""
    store = current_store()
    counts = count_by_state()
    failures = store.read_flow_runs(state_types=["FAILED", "CRASHED"], limit=FAILURES)
    failed_ids = {run.id for run in failures}
    latest = [run for run in store.read_flow_runs(limit=RECENT) if run.id not in failed_ids]
    now = time.time()

    def duration(run: FlowRunRecord) -> float | None:
        if run.start_time is None:
            return None
        end = run.end_time if run.end_time is not None else now
        return max(end - run.start_time, 0.0)

    return render(
        request,
        "dashboard.html",
        title="Dashboard",
        active="/",
        total=sum(counts.values()),
        counts=[(s, counts[s]) for s in STATE_ORDER if s in counts],
        failures=[(run, duration(run)) for run in failures],
        latest=[(run, duration(run)) for run in latest],
    )
