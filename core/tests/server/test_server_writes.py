"""The API's write routes and the store mirror, called with a plain httpx client.

Each test sets up its store (SQLite and PostgreSQL through ``store_url``); the
session's server reads whatever store the test set up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from headwater._store import FlowRunRecord, StateRecord, get_embedded_store
from headwater._store.processes import HOSTNAME


def _id() -> str:
    return uuid.uuid4().hex


def _flow_run(**kw: Any) -> FlowRunRecord:
    kw.setdefault("id", _id())
    kw.setdefault("flow_name", "etl")
    kw.setdefault("name", "quiet-heron")
    kw.setdefault("created", time.time())
    return FlowRunRecord(**kw)


def _stored(**kw: Any) -> FlowRunRecord:
    store = get_embedded_store()
    run = _flow_run(**kw)
    store.create_flow_run(run)
    store.flush()
    return run


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def _batch(ops: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {
        "batch_id": kw.pop("batch_id", _id()),
        "pid": 4242,
        "hostname": "far-away",
        "ops": ops,
        **kw,
    }


def _flow_run_op(run_id: str) -> dict[str, Any]:
    return {
        "op": "flow_run",
        "run": {"id": run_id, "flow_name": "etl", "name": "brave-otter", "created": time.time()},
    }


def _state_op(run_id: str, type_: str, *, kind: str = "flow", **kw: Any) -> dict[str, Any]:
    state = {
        "id": _id(),
        "run_id": run_id,
        "run_kind": kind,
        "type": type_,
        "name": type_.title(),
        "timestamp": time.time(),
    }
    return {"op": "state", "run_kind": kind, "run_id": run_id, "state": state, **kw}


def _log_op(run_id: str, message: str) -> dict[str, Any]:
    line = {
        "flow_run_id": run_id,
        "task_run_id": None,
        "level": 20,
        "name": "test",
        "message": message,
        "timestamp": time.time(),
    }
    return {"op": "logs", "logs": [line]}


# -- ingest ---------------------------------------------------------------------


def test_ingest_applies_a_batch_in_order_and_claims_runs_for_the_client(
    store_url: str, client: httpx.Client
) -> None:
    run_id, task_id = _id(), _id()
    ops = [
        _flow_run_op(run_id),
        _state_op(run_id, "RUNNING", start_time=5.0, run_count=1),
        {
            "op": "task_begin",
            "run_id": task_id,
            "flow_run_id": run_id,
            "task_key": "mod.t",
            "dynamic_key": "0",
            "name": "t-0",
            "created": time.time(),
            "tags": ["io"],
            "pending_id": _id(),
            "running_id": _id(),
            "start_time": time.time(),
        },
        {
            "op": "task_end",
            "run_id": task_id,
            "state_id": _id(),
            "state_type": "COMPLETED",
            "state_name": "Completed",
            "timestamp": time.time(),
            "result_key": "rk",
            "run_count": 1,
        },
        _log_op(run_id, "hello"),
        {"op": "heartbeat", "flow_run_ids": [run_id]},
    ]
    response = client.post("/api/ingest", json=_batch(ops))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["applied"], body["duplicate"], body["errors"]) == (6, False, [])
    # a 200 means durable: a fresh read of the database sees everything
    store = get_embedded_store()
    run = store.read_flow_run(run_id)
    assert (run.state_type, run.start_time, run.run_count) == ("RUNNING", 5.0, 1)
    assert (run.pid, run.hostname) == (4242, "far-away")  # the client's, not the server's
    assert run.heartbeat is not None
    assert abs(run.heartbeat - time.time()) < 60
    task_run = store.read_task_run(task_id)
    assert (task_run.state_type, task_run.result_key, task_run.tags) == ("COMPLETED", "rk", ["io"])
    assert [s.type for s in store.read_states(task_id)] == ["PENDING", "RUNNING", "COMPLETED"]
    assert [m.message for m in store.read_logs(flow_run_id=run_id)] == ["hello"]


def test_a_retried_batch_is_applied_once(store_url: str, client: httpx.Client) -> None:
    from headwater._store import remote

    run_id = _id()
    batch = _batch([_flow_run_op(run_id), _state_op(run_id, "PENDING"), _log_op(run_id, "once")])
    first = client.post("/api/ingest", json=batch).json()
    again = client.post("/api/ingest", json={**batch, "attempt": 2}).json()
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert again["errors"] == []
    # the server forgot its recent batch ids (a restart, another replica): the
    # retry is still recognised, because everything it creates is stored
    remote._ledgers.clear()
    third = client.post("/api/ingest", json={**batch, "attempt": 3}).json()
    assert third["duplicate"] is True
    store = get_embedded_store()
    assert [m.message for m in store.read_logs(flow_run_id=run_id)] == ["once"]
    assert len(store.read_states(run_id)) == 1
    assert store.count_flow_runs() == 1


def test_a_bad_op_is_reported_by_name_and_its_neighbours_are_kept(
    store_url: str, client: httpx.Client
) -> None:
    existing = _stored()
    before, after = _id(), _id()
    ops = [_flow_run_op(before), _flow_run_op(existing.id), _flow_run_op(after)]
    body = client.post("/api/ingest", json=_batch(ops)).json()
    assert body["applied"] == 2
    assert len(body["errors"]) == 1
    assert body["errors"][0].startswith(f"flow run {existing.id}: ")
    store = get_embedded_store()
    assert store.read_flow_run(before).id == before
    assert store.read_flow_run(after).id == after


@pytest.mark.parametrize(
    ("batch", "where"),
    [
        ({"ops": []}, "batch_id"),
        ({"batch_id": "x" * 32, "ops": [{"op": "nope"}]}, "ops"),
        ({"batch_id": "x" * 32, "ops": [{"op": "flow_run", "run": {"id": "a"}}]}, "flow_name"),
        ({"batch_id": "x" * 32, "attempt": 0, "ops": []}, "attempt"),
    ],
)
def test_a_malformed_batch_is_a_422_naming_the_field_and_writes_nothing(
    store_url: str, client: httpx.Client, batch: dict[str, Any], where: str
) -> None:
    response = client.post("/api/ingest", json=batch)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("invalid request: body parameter")
    assert any(where in [str(part) for part in error["loc"]] for error in body["errors"]), body
    assert get_embedded_store().count_flow_runs() == 0


# -- flow-run actions -----------------------------------------------------------------


def test_cancel_a_flow_run(store_url: str, client: httpx.Client) -> None:
    waiting = _stored(state_type="SCHEDULED", state_name="Scheduled")
    response = client.post(f"/api/flow_runs/{waiting.id[:8]}/cancel")  # a prefix will do
    assert response.status_code == 200, response.text
    assert response.json() == {"state_type": "CANCELLED"}
    assert client.get(f"/api/flow_runs/{waiting.id}/state_type").json() == {
        "state_type": "CANCELLED"
    }
    again = client.post(f"/api/flow_runs/{waiting.id}/cancel")
    assert again.status_code == 409
    assert again.headers["X-Headwater-Error"] == "InvalidStateTransition"
    assert waiting.id in again.json()["detail"]
    missing = client.post(f"/api/flow_runs/{'f' * 32}/cancel")
    assert missing.status_code == 404
    assert "f" * 32 in missing.json()["detail"]


def test_delete_a_flow_run(store_url: str, client: httpx.Client) -> None:
    keep, gone = _stored(), _stored()
    assert client.delete(f"/api/flow_runs/{gone.id}").status_code == 204
    assert client.get(f"/api/store/flow_runs/{gone.id}").status_code == 404
    assert client.get(f"/api/store/flow_runs/{keep.id}").status_code == 200
    assert client.delete(f"/api/flow_runs/{gone.id}").status_code == 404


def test_mark_crashed_runs_of_dead_processes(store_url: str, client: httpx.Client) -> None:
    dead = _stored(state_type="RUNNING", state_name="Running", pid=_dead_pid(), hostname=HOSTNAME)
    alive = _stored(state_type="RUNNING", state_name="Running", pid=os.getppid(), hostname=HOSTNAME)
    alive_store = get_embedded_store()
    alive_store.heartbeat([alive.id])
    response = client.post("/api/flow_runs/mark_crashed")
    assert response.status_code == 200
    assert response.json() == {"flow_run_ids": [dead.id]}
    assert get_embedded_store().read_flow_run(alive.id).state_type == "RUNNING"


# -- concurrency limits -----------------------------------------------------------------


def test_concurrency_limit_routes(store_url: str, client: httpx.Client) -> None:
    created = client.put("/api/concurrency_limits/db", json={"limit": 1})
    assert created.status_code == 200
    assert created.json()["limit"] == 1
    bad = client.put("/api/concurrency_limits/db", json={"limit": -1})
    assert bad.status_code == 422
    assert "limit" in bad.json()["detail"]
    take = {"tags": ["db", "free"], "holder_id": "h1", "pid": os.getppid(), "hostname": HOSTNAME}
    assert client.post("/api/concurrency_limits/acquire", json=take).json() == {"acquired": True}
    other = {**take, "holder_id": "h2"}
    assert client.post("/api/concurrency_limits/acquire", json=other).json() == {"acquired": False}
    assert client.get("/api/concurrency_limits/db").json()["active_slots"] == ["h1"]
    release = client.post("/api/concurrency_limits/release", json={"holder_id": "h1"})
    assert release.status_code == 204
    assert client.post("/api/concurrency_limits/acquire", json=other).json() == {"acquired": True}
    assert client.delete("/api/concurrency_limits/db").status_code == 204
    gone = client.get("/api/concurrency_limits/db")
    assert gone.status_code == 404
    assert "'db'" in gone.json()["detail"]


def test_slots_of_a_dead_client_are_reclaimed(store_url: str, client: httpx.Client) -> None:
    client.put("/api/concurrency_limits/db", json={"limit": 1})
    dead = {"tags": ["db"], "holder_id": "gone", "pid": _dead_pid(), "hostname": HOSTNAME}
    assert client.post("/api/concurrency_limits/acquire", json=dead).json() == {"acquired": True}
    live = {"tags": ["db"], "holder_id": "live", "pid": os.getppid(), "hostname": HOSTNAME}
    assert client.post("/api/concurrency_limits/acquire", json=live).json() == {"acquired": True}
    assert client.get("/api/concurrency_limits/db").json()["active_slots"] == ["live"]


# -- variables and artifacts -------------------------------------------------------------


def test_variable_routes(store_url: str, client: httpx.Client) -> None:
    put = client.put("/api/variables/region", json={"value": {"name": "eu"}, "tags": ["geo"]})
    assert put.status_code == 200, put.text
    first = put.json()
    assert (first["value"], first["tags"]) == ({"name": "eu"}, ["geo"])
    taken = client.put("/api/variables/region", json={"value": 1})
    assert taken.status_code == 409
    assert "region" in taken.json()["detail"]
    replaced = client.put("/api/variables/region", json={"value": 2, "overwrite": True}).json()
    assert (replaced["value"], replaced["created"]) == (2, first["created"])
    assert client.delete("/api/variables/region").status_code == 204
    assert client.delete("/api/variables/region").status_code == 404


def test_artifact_routes(store_url: str, client: httpx.Client) -> None:
    def create(version_text: str) -> dict[str, Any]:
        body = {"id": _id(), "key": "report", "type": "markdown", "data": version_text}
        response = client.post("/api/artifacts", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    assert create("# one")["version"] == 1
    assert create("# two")["version"] == 2
    latest = client.get("/api/artifacts/keys/report/latest").json()
    assert (latest["version"], latest["data"]) == (2, "# two")
    assert len(client.get("/api/artifacts", params={"key": "report", "limit": 1}).json()) == 1
    assert client.get("/api/artifacts/keys/nope/latest").status_code == 404


# -- the store mirror (what the HTTP store reads) --------------------------------------------


def test_store_mirror_keeps_the_store_semantics(store_url: str, client: httpx.Client) -> None:
    run = _stored(pid=123, hostname="h", entrypoint="f.py:f")
    store = get_embedded_store()
    state = StateRecord(
        _id(), run.id, "flow", "COMPLETED", "Completed", time.time(), None, "rk", "ck"
    )
    store.set_state("flow", run.id, state)
    store.flush()
    got = client.get(f"/api/store/flow_runs/{run.id}").json()
    assert (got["pid"], got["hostname"], got["entrypoint"]) == (123, "h", "f.py:f")
    states = client.get(f"/api/store/states/{run.id}").json()
    assert (states[0]["result_key"], states[0]["cache_key"]) == ("rk", "ck")
    assert client.get(f"/api/store/states/{'0' * 32}").json() == []  # unknown: empty, as the store
    short = client.get("/api/store/flow_runs/12345")
    assert short.status_code == 404
    assert "at least 6" in short.json()["detail"]  # the store's own words
    assert client.get("/api/store/flow_runs/count").json() == {"count": 1}
    bad = client.get("/api/store/flow_runs", params={"sort": "newest"})
    assert bad.status_code == 422
    assert bad.headers["X-Headwater-Error"] == "ConfigurationError"


def test_nul_characters_in_write_bodies_are_a_422_naming_the_field(
    store_url: str, client: httpx.Client
) -> None:
    """PostgreSQL refuses NUL in text: it must be a 422 before the database, never a 5xx."""
    take = {"tags": ["db"], "holder_id": "a\x00b", "pid": 1, "hostname": "h"}
    response = client.post("/api/concurrency_limits/acquire", json=take)
    assert response.status_code == 422
    assert any("holder_id" in error["loc"] for error in response.json()["errors"])
    batch = _batch([], hostname="bad\x00host")
    assert client.post("/api/ingest", json=batch).status_code == 422
    artifact = {"id": "x\x00", "type": "markdown", "data": "# hi"}
    assert client.post("/api/artifacts", json=artifact).status_code == 422
