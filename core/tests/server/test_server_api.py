"""The REST API end to end: real flows write, a real server reads, httpx asks."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from conftest import running_server

from headwater import _store, flow, get_run_logger, task
from headwater._store.records import RUN_SORTS


@task
def extract(n: int) -> list[int]:
    return list(range(n))


@task
def load(rows: list[int]) -> int:
    get_run_logger().warning("loaded %d rows", len(rows))
    return len(rows)


@task
def explode() -> None:
    raise ValueError("boom")


@flow(name="etl", tags=["nightly"])
def etl(n: int = 3) -> int:
    get_run_logger().info("starting")
    return load(extract(n))


@flow(name="child")
def child() -> int:
    return 1


@flow(name="parent")
def parent() -> int:
    return child()


@flow(name="broken")
def broken() -> None:
    explode()


def _record_runs() -> dict[str, str]:
    """Run real flows; the ids of the runs they recorded, by flow name."""
    etl(3)
    parent()
    broken(return_state=True)
    store = _store.get_store()
    store.flush()
    return {run.flow_name: run.id for run in store.read_flow_runs(limit=None)}


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_health(client: httpx.Client) -> None:
    from headwater._version import __version__

    assert _get(client, "/api/health") == {"status": "ok", "version": __version__}


def test_openapi_lists_every_route(client: httpx.Client) -> None:
    document = _get(client, "/api/openapi.json")
    expected = {
        "/api/health",
        "/api/flow_runs",
        "/api/flow_runs/{flow_run_id}",
        "/api/flow_runs/{flow_run_id}/states",
        "/api/flow_runs/{flow_run_id}/task_runs",
        "/api/flow_runs/{flow_run_id}/logs",
        "/api/task_runs/{task_run_id}",
        "/api/task_runs/{task_run_id}/states",
        "/api/concurrency_limits",
        "/api/block_types",
        "/api/block_documents",
        "/api/variables",
        "/api/variables/{name}",
        "/api/artifacts",
        "/api/artifacts/{artifact_id}",
        "/api/flow_runs/{flow_run_id}/artifacts",
        "/api/flow_runs/count",
        "/api/task_runs",
        "/api/task_runs/count",
        "/api/flows",
        "/api/flows/{name}",
        "/api/flows/{name}/flow_runs",
    }
    # Other routers (writes, the HTTP store's reads) add paths of their own.
    assert expected <= set(document["paths"])
    for path in expected:
        assert "get" in document["paths"][path], path
    assert "post" in document["paths"]["/api/flow_runs/{flow_run_id}/set_state"]
    flow_run_params = {p["name"] for p in document["paths"]["/api/flow_runs"]["get"]["parameters"]}
    assert flow_run_params == {
        "flow_name",
        "state",
        "tag",
        "parent_flow_run_id",
        "start_after",
        "start_before",
        "created_after",
        "created_before",
        "sort",
        "limit",
        "offset",
    }
    sorts = next(
        p for p in document["paths"]["/api/flow_runs"]["get"]["parameters"] if p["name"] == "sort"
    )
    assert sorts["schema"]["enum"] == list(RUN_SORTS)
    assert sorts["schema"]["default"] == "created_desc"
    assert "FlowRun" in document["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text


def test_flow_runs_and_filters(client: httpx.Client, store_url: str) -> None:
    ids = _record_runs()
    runs = _get(client, "/api/flow_runs")
    assert [r["flow_name"] for r in runs] == ["broken", "child", "parent", "etl"]
    assert {r["flow_name"]: r["state_type"] for r in runs}["broken"] == "FAILED"

    assert [r["id"] for r in _get(client, "/api/flow_runs", flow_name="etl")] == [ids["etl"]]
    failed = _get(client, "/api/flow_runs", state="failed")
    assert [r["flow_name"] for r in failed] == ["broken"]
    both = client.get("/api/flow_runs", params=[("state", "Failed"), ("state", "COMPLETED")])
    assert len(both.json()) == 4
    completed_or_timedout = client.get(
        "/api/flow_runs", params=[("state", "TimedOut"), ("state", "completed")]
    ).json()
    assert [r["flow_name"] for r in completed_or_timedout] == ["child", "parent", "etl"]
    assert [r["flow_name"] for r in _get(client, "/api/flow_runs", tag="nightly")] == ["etl"]
    assert _get(client, "/api/flow_runs", tag=["nightly", "other"]) == []
    subflows = _get(client, "/api/flow_runs", parent_flow_run_id=ids["parent"])
    assert [r["id"] for r in subflows] == [ids["child"]]

    page = _get(client, "/api/flow_runs", limit=2, offset=1)
    assert [r["flow_name"] for r in page] == ["child", "parent"]

    one = _get(client, f"/api/flow_runs/{ids['etl'][:8]}")
    assert one["id"] == ids["etl"]
    assert one["parameters"] == {"n": 3}
    assert one["tags"] == ["nightly"]

    states = _get(client, f"/api/flow_runs/{ids['etl']}/states")
    assert [s["type"] for s in states][-1] == "COMPLETED"
    assert "RUNNING" in [s["type"] for s in states]
    assert all(s["run_id"] == ids["etl"] and s["run_kind"] == "flow" for s in states)


def test_task_runs_and_logs(client: httpx.Client, store_url: str) -> None:
    ids = _record_runs()
    tasks = _get(client, f"/api/flow_runs/{ids['etl']}/task_runs")
    assert [t["name"] for t in tasks] == ["extract-0", "load-0"]
    extract_run, load_run = tasks
    assert load_run["task_inputs"] == {"rows": [extract_run["id"]]}
    assert [
        t["name"] for t in _get(client, f"/api/flow_runs/{ids['etl']}/task_runs", limit=1, offset=1)
    ] == ["load-0"]

    broken_tasks = _get(client, f"/api/flow_runs/{ids['broken']}/task_runs", state="failed")
    assert [t["state_type"] for t in broken_tasks] == ["FAILED"]
    assert _get(client, f"/api/flow_runs/{ids['broken']}/task_runs", state="completed") == []
    assert _get(client, f"/api/flow_runs/{ids['etl']}/task_runs", state="Cached") == []

    task_run = _get(client, f"/api/task_runs/{load_run['id']}")
    assert task_run["flow_run_id"] == ids["etl"]
    assert task_run["state_type"] == "COMPLETED"
    task_states = _get(client, f"/api/task_runs/{load_run['id']}/states")
    assert [s["type"] for s in task_states][-1] == "COMPLETED"
    assert all(s["run_kind"] == "task" for s in task_states)

    logs = _get(client, f"/api/flow_runs/{ids['etl']}/logs")
    messages = [line["message"] for line in logs]
    assert "starting" in messages
    assert "loaded 3 rows" in messages
    warnings = _get(client, f"/api/flow_runs/{ids['etl']}/logs", min_level=logging.WARNING)
    assert [line["message"] for line in warnings] == ["loaded 3 rows"]
    assert warnings[0]["task_run_id"] == load_run["id"]
    assert len(_get(client, f"/api/flow_runs/{ids['etl']}/logs", limit=1)) == 1


def test_unknown_ids_are_404_naming_the_id(client: httpx.Client, store_url: str) -> None:
    _record_runs()
    for path in (
        "/api/flow_runs/nosuchrun123",
        "/api/flow_runs/nosuchrun123/states",
        "/api/flow_runs/nosuchrun123/task_runs",
        "/api/flow_runs/nosuchrun123/logs",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "flow run 'nosuchrun123' not found"}
    for path in ("/api/task_runs/nosuchtask99", "/api/task_runs/nosuchtask99/states"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "task run 'nosuchtask99' not found"}


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/flow_runs", {"limit": 0}, "limit"),
        ("/api/flow_runs", {"limit": 1001}, "limit"),
        ("/api/flow_runs", {"limit": "many"}, "limit"),
        ("/api/flow_runs", {"offset": -1}, "offset"),
        ("/api/flow_runs", {"state": "sideways"}, "state"),
        ("/api/flow_runs/abcdef/task_runs", {"limit": 5000}, "limit"),
        ("/api/flow_runs/abcdef/task_runs", {"state": "nope"}, "state"),
        ("/api/flow_runs/abcdef/logs", {"min_level": "loud"}, "min_level"),
    ],
)
def test_bad_query_values_are_422_naming_the_parameter(
    client: httpx.Client, path: str, params: dict[str, Any], parameter: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert f"query parameter '{parameter}'" in response.json()["detail"]


def test_concurrency_limits(client: httpx.Client, store_url: str) -> None:
    store = _store.get_store()
    store.create_concurrency_limit("db", 3)
    assert store.try_acquire_concurrency_slots(["db"], "holder-1")
    limits = _get(client, "/api/concurrency_limits")
    assert [(lim["tag"], lim["limit"], lim["active_slots"]) for lim in limits] == [
        ("db", 3, ["holder-1"])
    ]


def test_block_documents_never_return_secrets(
    client: httpx.Client, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.blocks import Secret

    Secret(value="hunter2-do-not-leak").save("db-password")
    Secret(value="env://DB_PASSWORD").save("by-reference")
    monkeypatch.setenv("DB_PASSWORD", "resolved-should-not-leak")

    response = client.get("/api/block_documents")
    assert response.status_code == 200
    assert "hunter2" not in response.text
    assert "resolved-should-not-leak" not in response.text
    documents = {d["address"]: d for d in response.json()}
    assert documents["secret/db-password"]["data"] == {"value": "********"}
    assert documents["secret/by-reference"]["data"] == {"value": "env://DB_PASSWORD"}
    assert all(d["error"] is None for d in documents.values())
    assert _get(client, "/api/block_documents", block_type="local-file-system") == []

    types = {t["slug"]: t for t in _get(client, "/api/block_types")}
    assert types["secret"]["secret_fields"] == ["value"]
    assert "value" in types["secret"]["block_schema"]["properties"]


def test_runs_recorded_before_the_server_started_are_visible(store_url: str) -> None:
    ids = _record_runs()
    _store.reset_store()  # as if the flows ran in another process, earlier
    with running_server() as url, httpx.Client(base_url=url, timeout=30) as http:
        runs = http.get("/api/flow_runs").json()
        assert {r["id"] for r in runs} == set(ids.values())
        assert http.get(f"/api/flow_runs/{ids['etl']}/task_runs").json()[1]["name"] == "load-0"


# -- flows, time ranges, sorting, counts ------------------------------------------------

_BASE = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def _timed_runs() -> dict[str, str]:
    """Runs created at base+0..3 h; 'late' never started; ids by name."""
    from headwater._store import FlowRunRecord, TaskRunRecord

    store = _store.get_store()
    hour = 3600.0
    specs = [
        ("a", 0.0, 0.5, ["x"], "COMPLETED", "Completed"),
        ("b", 1.0, 9.0, ["x", "y"], "FAILED", "TimedOut"),
        ("c", 2.0, 2.5, [], "COMPLETED", "Cached"),
        ("late", 3.0, None, ["y"], "SCHEDULED", "Late"),
    ]
    ids = {}
    for name, created, start, tags, state_type, state_name in specs:
        run = FlowRunRecord(
            id=uuid.uuid4().hex,
            flow_name="timed",
            name=name,
            created=_BASE + created * hour,
            start_time=None if start is None else _BASE + start * hour,
            tags=tags,
            state_type=state_type,
            state_name=state_name,
        )
        store.create_flow_run(run)
        ids[name] = run.id
        store.create_task_run(
            TaskRunRecord(
                id=uuid.uuid4().hex,
                flow_run_id=run.id,
                task_key="k",
                dynamic_key="0",
                name=f"task-{name}",
                created=run.created,
                start_time=run.start_time,
                tags=tags,
                state_type=state_type,
                state_name=state_name,
            )
        )
    store.flush()
    return ids


def _names(client: httpx.Client, path: str, params: Any) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()]


def _count(client: httpx.Client, path: str, params: Any) -> int:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def test_flow_run_time_ranges_sort_and_count(client: httpx.Client, store_url: str) -> None:
    _timed_runs()
    runs = "/api/flow_runs"
    assert _names(client, runs, {}) == ["late", "c", "b", "a"]
    assert _names(client, runs, {"sort": "created_asc"}) == ["a", "b", "c", "late"]
    # start time, or creation time for 'late' (not started): a 0.5h, c 2.5h, late 3h, b 9h
    assert _names(client, runs, {"sort": "start_time_asc"}) == ["a", "c", "late", "b"]
    assert _names(client, runs, {"sort": "start_time_desc", "limit": 2}) == ["b", "late"]
    assert _names(client, runs, {"sort": "name_asc", "offset": 3}) == ["late"]

    # ISO 8601 with Z, with an offset, naive (= UTC) and POSIX seconds mean the same instants
    window = [
        {"start_after": "2026-01-01T01:00:00Z", "start_before": "2026-01-01T03:00:00Z"},
        {"start_after": "2026-01-01T02:00:00+01:00", "start_before": "2026-01-01T03:00:00"},
        {"start_after": str(_BASE + 3600), "start_before": str(_BASE + 3 * 3600)},
    ]
    for params in window:
        assert _names(client, runs, params) == ["late", "c"], params
        assert _count(client, f"{runs}/count", params) == 2
    created = {"created_after": "2026-01-01T01:00:00Z", "created_before": _BASE + 2 * 3600}
    assert _names(client, runs, created) == ["c", "b"]
    assert _count(client, f"{runs}/count", {**created, "tag": "y"}) == 1
    # a state filter naming a type and a name means either, in lists and counts alike
    either = [("state", "Completed"), ("state", "TimedOut"), ("sort", "name_asc")]
    assert _names(client, runs, either) == ["a", "b", "c"]
    assert _count(client, f"{runs}/count", either[:2]) == 3
    assert _names(client, runs, [*either, ("limit", "1"), ("offset", "1")]) == ["b"]
    assert _count(client, f"{runs}/count", {"state": "late"}) == 1
    assert _count(client, f"{runs}/count", {}) == 4


def test_task_run_list_with_filters_sort_and_count(client: httpx.Client, store_url: str) -> None:
    ids = _timed_runs()
    tasks = "/api/task_runs"
    assert _names(client, tasks, {}) == ["task-a", "task-b", "task-c", "task-late"]
    assert _names(client, tasks, {"sort": "created_desc", "limit": 1}) == ["task-late"]
    assert _names(client, tasks, {"flow_run_id": ids["b"]}) == ["task-b"]
    assert _names(client, tasks, [("tag", "x"), ("tag", "y")]) == ["task-b"]
    assert _names(client, tasks, {"tag": "y", "sort": "start_time_desc"}) == [
        "task-b",
        "task-late",
    ]
    assert _names(client, tasks, [("state", "cached"), ("state", "failed")]) == [
        "task-b",
        "task-c",
    ]
    assert _names(client, tasks, {"start_before": "2026-01-01T01:00:00Z"}) == ["task-a"]
    assert _count(client, f"{tasks}/count", {"created_after": _BASE + 1}) == 3
    assert _count(client, f"{tasks}/count", {"flow_run_id": ids["a"], "state": "completed"}) == 1
    # the same filters on one flow run's task runs
    per_run = f"/api/flow_runs/{ids['late'][:8]}/task_runs"
    assert _names(client, per_run, {"tag": "y", "state": "late"}) == ["task-late"]
    assert _names(client, per_run, {"created_before": _BASE}) == []


def test_flows(client: httpx.Client, store_url: str) -> None:
    ids = _record_runs()
    flows = _get(client, "/api/flows")
    assert [f["name"] for f in flows] == ["broken", "child", "etl", "parent"]
    assert all(set(f) == {"id", "name", "created"} for f in flows)
    etl_flow = _get(client, "/api/flows/etl")
    assert etl_flow["flow_run_count"] == 1
    assert etl_flow["last_flow_run"]["id"] == ids["etl"]
    assert etl_flow["last_flow_run"]["state_type"] == "COMPLETED"
    etl(1)
    etl_flow = _get(client, "/api/flows/etl")
    assert etl_flow["flow_run_count"] == 2
    assert etl_flow["last_flow_run"]["id"] != ids["etl"]
    runs = _get(client, "/api/flows/etl/flow_runs", sort="created_asc")
    assert runs[0]["id"] == ids["etl"]
    assert len(runs) == 2
    assert _get(client, "/api/flows/broken/flow_runs", state="completed") == []
    for path in ("/api/flows/nope", "/api/flows/nope/flow_runs"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "flow 'nope' not found"}


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/flow_runs", {"start_after": "yesterday"}, "start_after"),
        ("/api/flow_runs", {"start_before": "2026-13-01T00:00:00"}, "start_before"),
        ("/api/flow_runs", {"created_after": "nan"}, "created_after"),
        ("/api/flow_runs", {"created_before": "inf"}, "created_before"),
        ("/api/flow_runs", {"sort": "newest"}, "sort"),
        ("/api/flow_runs/count", {"start_after": "soon"}, "start_after"),
        ("/api/flow_runs/count", {"state": "sideways"}, "state"),
        ("/api/task_runs", {"limit": 0}, "limit"),
        ("/api/task_runs", {"sort": "created"}, "sort"),
        ("/api/task_runs", {"start_before": "later"}, "start_before"),
        ("/api/task_runs/count", {"created_after": "x1"}, "created_after"),
        ("/api/flows/etl/flow_runs", {"start_after": "never"}, "start_after"),
        ("/api/flow_runs/abcdef/task_runs", {"sort": "start"}, "sort"),
    ],
)
def test_bad_time_and_sort_values_are_422_naming_the_parameter(
    client: httpx.Client, store_url: str, path: str, params: dict[str, Any], parameter: str
) -> None:
    _record_runs()
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert f"query parameter '{parameter}'" in detail
    if parameter.endswith(("_after", "_before")):  # a bad time is not echoed back
        assert str(params[parameter]) not in detail
