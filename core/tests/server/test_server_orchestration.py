"""``POST /api/flow_runs/{id}/set_state``: the orchestration rules hold over HTTP,
including claim-once with clients racing from their own threads and connections."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from headwater import _store
from headwater._store import FlowRunRecord, StateRecord

RESULT_KEYS = {"status", "state_type", "state_name", "state_id", "reason", "duplicate"}


def _run(state_type: str = "SCHEDULED", state_name: str | None = None) -> FlowRunRecord:
    """A stored flow run whose history is one state."""
    store = _store.get_store()
    run = FlowRunRecord(
        id=uuid.uuid4().hex,
        flow_name="remote",
        name=f"run-{uuid.uuid4().hex[:6]}",
        created=time.time(),
    )
    store.create_flow_run(run)
    name = state_name or state_type.title()
    state = StateRecord(
        id=uuid.uuid4().hex,
        run_id=run.id,
        run_kind="flow",
        type=state_type,
        name=name,
        timestamp=time.time(),
    )
    store.set_state("flow", run.id, state)
    store.flush()
    return run


def _set_state(client: httpx.Client, run_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == RESULT_KEYS
    return dict(result)


def _history(client: httpx.Client, run_id: str) -> list[tuple[str, str]]:
    response = client.get(f"/api/flow_runs/{run_id}/states")
    assert response.status_code == 200, response.text
    return [(s["type"], s["name"]) for s in response.json()]


def test_set_state_follows_the_rules(client: httpx.Client, store_url: str) -> None:
    run = _run()
    prefix = run.id[:8]  # an id prefix works as in the GET routes
    claim = _set_state(client, prefix, type="running", transition_id="claim-1")
    assert claim["status"] == "ACCEPT"
    assert (claim["state_type"], claim["state_name"]) == ("RUNNING", "Running")
    assert (claim["reason"], claim["duplicate"]) == (None, False)

    replay = _set_state(client, run.id, type="RUNNING", transition_id="claim-1")
    assert replay == {**claim, "duplicate": True}

    again = _set_state(client, run.id, type="RUNNING")
    assert again["status"] == "REJECT"
    assert "already Running" in again["reason"]
    assert again["state_id"] == claim["state_id"]

    done = _set_state(client, run.id, type="COMPLETED", message="all good")
    assert done["status"] == "ACCEPT"
    final = _set_state(client, run.id, type="RUNNING")
    assert final["status"] == "REJECT"
    assert "is Completed (final); it cannot become Running" in final["reason"]
    assert run.id in final["reason"]

    retry = _set_state(client, run.id, type="SCHEDULED", name="AwaitingRetry")
    assert (retry["status"], retry["state_name"]) == ("ACCEPT", "AwaitingRetry")
    assert _set_state(client, run.id, type="RUNNING")["status"] == "ACCEPT"

    assert _history(client, run.id) == [
        ("SCHEDULED", "Scheduled"),
        ("RUNNING", "Running"),
        ("COMPLETED", "Completed"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Running"),
    ]
    detail = client.get(f"/api/flow_runs/{run.id}").json()
    assert (detail["state_type"], detail["run_count"], detail["end_time"]) == ("RUNNING", 2, None)


def test_force_overrides_the_rules(client: httpx.Client, store_url: str) -> None:
    run = _run("CANCELLED")
    assert _set_state(client, run.id, type="RUNNING")["status"] == "REJECT"
    forced = _set_state(client, run.id, type="RUNNING", name="Resumed", force=True)
    assert (forced["status"], forced["state_name"]) == ("ACCEPT", "Resumed")
    assert client.get(f"/api/flow_runs/{run.id}").json()["state_name"] == "Resumed"


def test_unknown_run_is_404_and_bad_bodies_are_422_naming_the_field(
    client: httpx.Client, store_url: str
) -> None:
    run = _run()
    missing = client.post("/api/flow_runs/nosuchrun123/set_state", json={"type": "RUNNING"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "flow run 'nosuchrun123' not found"}
    for body in ({"type": "WAITING"}, {"type": 7}, {"name": "Running"}):
        response = client.post(f"/api/flow_runs/{run.id}/set_state", json=body)
        assert response.status_code == 422, body
        assert "body parameter 'type'" in response.json()["detail"], body
    response = client.post(
        f"/api/flow_runs/{run.id}/set_state", json={"type": "RUNNING", "force": "perhaps"}
    )
    assert response.status_code == 422
    assert "body parameter 'force'" in response.json()["detail"]
    assert _history(client, run.id) == [("SCHEDULED", "Scheduled")]  # nothing written


def test_set_state_is_an_admin_route() -> None:
    from fastapi.routing import APIRoute

    from headwater.server._security import require_admin
    from headwater.server.api.flow_runs import router

    (route,) = [
        r for r in router.routes if isinstance(r, APIRoute) and r.path.endswith("/set_state")
    ]
    assert route.methods == {"POST"}
    assert require_admin in [d.call for d in route.dependant.dependencies]


CLIENTS = 10


def _race(server_url: str, run_id: str) -> list[dict[str, Any]]:
    """CLIENTS threads, each with its own HTTP client, propose RUNNING at once."""
    barrier = threading.Barrier(CLIENTS)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def contend() -> None:
        try:
            with httpx.Client(base_url=server_url, timeout=60) as http:
                http.get("/api/health")  # connected before the start signal
                barrier.wait(timeout=60)
                result = _set_state(http, run_id, type="RUNNING", transition_id=uuid.uuid4().hex)
            with lock:
                results.append(result)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=contend) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.parametrize("start", ["SCHEDULED", "PENDING"])
def test_racing_clients_claim_a_run_exactly_once(
    client: httpx.Client, server_url: str, store_url: str, start: str
) -> None:
    for _ in range(3):
        run = _run(start)
        results = _race(server_url, run.id)
        statuses = sorted(r["status"] for r in results)
        assert statuses == ["ACCEPT"] + ["REJECT"] * (CLIENTS - 1)
        assert all("already Running" in r["reason"] for r in results if r["status"] == "REJECT")
        history = _history(client, run.id)
        assert [t for t, _ in history].count("RUNNING") == 1
        assert client.get(f"/api/flow_runs/{run.id}").json()["run_count"] == 1
