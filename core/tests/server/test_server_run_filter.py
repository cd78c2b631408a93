"""Run filters at the HTTP edges: the API's 422s name the query parameter, the
``/api/store`` routes decode exactly what the HTTP store encodes, the UI flashes."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from headwater import _store
from headwater._store.filters import RunFilter
from headwater._store.records import FlowRunRecord


def _seed() -> list[str]:
    """Three flow runs created one second apart; their ids, oldest first."""
    store = _store.get_store()
    ids = []
    base = time.time() - 100
    for i in range(3):
        run = FlowRunRecord(id=uuid.uuid4().hex, flow_name="etl", name=f"r{i}", created=base + i)
        store.create_flow_run(run)
        ids.append(run.id)
    store.flush()
    return ids


@pytest.mark.parametrize(
    ("path", "params", "parameter", "problem"),
    [
        ("/api/flow_runs", {"start_after": "200", "start_before": "100"}, "start_after", "later"),
        (
            "/api/flow_runs/count",
            {"created_after": 9, "created_before": 1},
            "created_after",
            "later",
        ),
        ("/api/task_runs", {"start_after": 5, "start_before": 4}, "start_after", "later"),
        (
            "/api/flows/etl/flow_runs",
            {"created_after": 2, "created_before": 1},
            "created_after",
            "",
        ),
        ("/api/task_runs/count", {"state": ["failed", "sleepy"]}, "state", "'sleepy' is not"),
    ],
)
def test_api_refuses_a_bad_filter_naming_the_parameter(
    client: httpx.Client,
    store_url: str,
    path: str,
    params: dict[str, Any],
    parameter: str,
    problem: str,
) -> None:
    _seed()
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"invalid request: query parameter '{parameter}': ")
    assert problem in detail


def test_store_routes_read_what_the_http_store_sends(client: httpx.Client, store_url: str) -> None:
    ids = _seed()
    where = RunFilter(flow_name="etl", sort="created_asc", limit=2, offset=1)
    runs = client.get("/api/store/flow_runs", params=where.to_query()).json()
    assert [r["id"] for r in runs] == ids[1:]
    count = client.get("/api/store/flow_runs/count", params=where.to_query()).json()
    assert count == {"count": 3}  # a count ignores the page


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/store/flow_runs", {"limit": "many"}, "`limit` must be a whole number"),
        ("/api/store/flow_runs/count", {"colour": "red"}, "`colour` is not a run filter"),
        ("/api/store/task_runs", {"state_type": "WAITING"}, "`state_types` 'WAITING'"),
        ("/api/store/task_runs/count", {"flow_name": "etl"}, "`flow_name` selects flow runs"),
        ("/api/store/flow_runs", {"offset": "-3"}, "`offset` must be 0 or more"),
    ],
)
def test_store_routes_refuse_a_bad_filter_as_a_configuration_error(
    client: httpx.Client, store_url: str, path: str, params: dict[str, str], message: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(message)
    if path.endswith("/count") and "flow_name" in params:
        return  # refused by the store itself, which names its own class
    assert response.headers["X-Headwater-Error"] == "ConfigurationError"


def test_ui_flashes_a_time_range_that_ends_before_it_starts(
    client: httpx.Client, store_url: str
) -> None:
    _seed()
    response = client.get("/flow-runs", params={"since": "hour", "end": "2000-01-01T00:00"})
    assert response.status_code == 200
    assert "flash-error" in response.text
    assert "end: is before the start of the range" in response.text
    assert 'data-run-id="' not in response.text


@pytest.mark.parametrize(
    "path", ["/api/store/flow_runs", "/api/store/flow_runs/count", "/api/store/task_runs"]
)
def test_store_routes_document_every_filter_parameter(client: httpx.Client, path: str) -> None:
    operation = client.get("/api/openapi.json").json()["paths"][path]["get"]
    documented = {p["name"] for p in operation["parameters"]}
    assert documented == {name for name, _ in RunFilter.query_parameters()}
    assert documented >= {name for name, _ in FULL_FILTER.to_query()}
    assert "422" in operation["responses"]


FULL_FILTER = RunFilter(
    flow_name="f",
    flow_run_id="r",
    parent_flow_run_id="p",
    state_types=("FAILED",),
    state_names=("TimedOut",),
    tags=("t",),
    start_after=1.0,
    start_before=2.0,
    created_after=1.0,
    created_before=2.0,
    sort="name_asc",
    limit=1,
    offset=1,
)
"""Every field set: what to_query can write at most."""
