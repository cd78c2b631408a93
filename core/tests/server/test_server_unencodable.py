"""Raw requests carrying a lone surrogate (``"\\ud800"`` as a JSON escape) or ``NaN`` to
every write endpoint of a real server: each is refused with a 4xx naming the field, or
stored escaped, and every listing and UI page still answers 200 afterwards.

Before the fix, one such request made ``GET /api/variables``, ``/api/flow_runs`` and the
UI pages answer 500 for everyone (the stored text could not be encoded back), and
``NaN`` in a variable was served as ``null``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from headwater._store import get_embedded_store

HEADWATER = str(Path(sys.executable).with_name("headwater"))
LONE = "\ud800"
FILE_NAME = os.fsdecode(b"report-\xff.csv")  # what os.listdir gives for a non-UTF-8 byte
BAD_TEXTS = [LONE, f"a{LONE}b", FILE_NAME]

LISTINGS = [
    "/api/variables",
    "/api/flow_runs",
    "/api/task_runs",
    "/api/artifacts",
    "/api/block_documents",
    "/api/concurrency_limits",
    "/api/health",
]
PAGES = ["/", "/flow-runs", "/flow-runs/rows", "/variables", "/artifacts", "/blocks"]


def _id() -> str:
    return uuid.uuid4().hex


def _raw(client: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    """Send ``body`` as JSON text written by Python's json (surrogates as ``\\udXXX``
    escapes, ``NaN`` as a bare literal): what a hostile or buggy client can send."""
    text = json.dumps(body, allow_nan=True)
    return client.request(
        method, path, content=text.encode("ascii"), headers={"Content-Type": "application/json"}
    )


def _everything_answers(client: httpx.Client, *run_ids: str) -> None:
    for path in [*LISTINGS, *PAGES]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
    for run_id in run_ids:
        for path in (
            f"/api/flow_runs/{run_id}",
            f"/api/flow_runs/{run_id}/logs",
            f"/flow-runs/{run_id}",
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])


def _refused_naming(response: httpx.Response, *words: str) -> None:
    assert 400 <= response.status_code < 500, response.text[:300]
    assert response.status_code != 404
    detail = response.text
    for word in words:
        assert word in detail, detail


@pytest.mark.parametrize("bad", BAD_TEXTS, ids=["lone", "inside", "file-name"])
def test_user_values_with_a_lone_surrogate_are_refused_naming_the_field(
    store_url: str, client: httpx.Client, bad: str
) -> None:
    _refused_naming(
        _raw(client, "PUT", "/api/variables/v", {"value": {"path": [bad]}}), "value", "surrogate"
    )
    _refused_naming(
        _raw(client, "PUT", "/api/variables/w", {"value": 1, "tags": [bad]}), "tags", "surrogate"
    )
    for field in ("key", "description", "data"):
        body = {"id": _id(), "type": "markdown", "data": "# ok", field: bad}
        _refused_naming(_raw(client, "POST", "/api/artifacts", body), field, "surrogate")
    doc = {"block_type_slug": "api-key-credentials", "name": "shared"}
    _refused_naming(
        _raw(client, "POST", "/api/block_documents", {**doc, "data": {"key_id": bad}}),
    )
    _refused_naming(
        _raw(client, "POST", "/api/block_documents", {**doc, "name": bad, "data": {}}),
    )
    # Nothing was stored, and every listing still answers.
    assert client.get("/api/variables").json() == []
    assert client.get("/api/artifacts").json() == []
    assert client.get("/api/block_documents").json() == []
    _everything_answers(client)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused_not_stored_as_null(
    store_url: str, client: httpx.Client, number: float
) -> None:
    # json.dumps writes them as the bare literals NaN, Infinity and -Infinity.
    body = {"value": {"threshold": [1, number]}}
    _refused_naming(_raw(client, "PUT", "/api/variables/limits", body), "limits", "threshold")
    assert client.get("/api/variables").json() == []
    artifact = {"id": _id(), "type": "table", "data": [{"x": number}]}
    _refused_naming(_raw(client, "POST", "/api/artifacts", artifact), "data")
    assert client.get("/api/artifacts").json() == []
    _everything_answers(client)


def _ingest(client: httpx.Client, ops: list[dict[str, Any]]) -> httpx.Response:
    batch = {"batch_id": _id(), "pid": 4242, "hostname": "far-away", "ops": ops}
    return _raw(client, "POST", "/api/ingest", batch)


def test_run_records_with_lone_surrogates_are_stored_escaped(
    store_url: str, client: httpx.Client
) -> None:
    run_id = _id()
    task_id = _id()
    begun_id = _id()
    now = time.time()
    run = {
        "id": run_id,
        "flow_name": f"etl-{LONE}",
        "name": f"run-{LONE}",
        "created": now,
        "parameters": {"path": FILE_NAME, LONE: 1},
        "tags": [f"t{LONE}"],
    }
    task = {
        "id": task_id,
        "flow_run_id": run_id,
        "task_key": "k",
        "dynamic_key": "0",
        "name": f"task-{LONE}",
        "created": now,
        "tags": [LONE],
    }

    def state(kind: str, rid: str, type_: str) -> dict[str, Any]:
        return {
            "op": "state",
            "run_kind": kind,
            "run_id": rid,
            "state": {
                "id": _id(),
                "run_id": rid,
                "run_kind": kind,
                "type": type_,
                "name": f"{type_.title()}{LONE}",
                "timestamp": time.time(),
                "message": f"done with {FILE_NAME}",
            },
        }

    log = {
        "flow_run_id": run_id,
        "task_run_id": None,
        "level": 20,
        "name": f"logger{LONE}",
        "message": f"read {FILE_NAME} {LONE}",
        "timestamp": now,
    }
    response = _ingest(
        client,
        [
            {"op": "flow_run", "run": run},
            {"op": "task_run", "run": task},
            state("flow", run_id, "RUNNING"),
            state("task", task_id, "COMPLETED"),
            {"op": "logs", "logs": [log]},
            {
                "op": "task_begin",
                "run_id": begun_id,
                "flow_run_id": run_id,
                "task_key": "b",
                "dynamic_key": "0",
                "name": "begun",  # only its tags hold a surrogate
                "created": now,
                "tags": [f"b{LONE}"],
                "pending_id": _id(),
                "running_id": _id(),
                "start_time": now,
            },
            {
                "op": "task_end",
                "run_id": begun_id,
                "state_id": _id(),
                "state_type": "FAILED",
                "state_name": f"Failed{LONE}",
                "timestamp": now,
                "message": f"no such file {FILE_NAME}",
                "run_count": 1,
            },
            state("flow", run_id, "COMPLETED"),
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == []
    # A state proposed directly (the server's own route and the store mirror).
    for path in (
        f"/api/flow_runs/{run_id}/set_state",
        f"/api/store/flow_runs/{run_id}/propose_state",
    ):
        proposal: dict[str, Any] = {
            "type": "SCHEDULED",
            "name": f"AwaitingRetry{LONE}",
            "message": f"again {LONE}",
            "transition_id": f"x{LONE}",
        }
        if path.endswith("propose_state"):
            proposal = {"state": state("flow", run_id, "SCHEDULED")["state"], "force": True}
        answer = _raw(client, "POST", path, proposal)
        # Refused by the schema (422 naming the field) or stored escaped: never a 500.
        assert answer.status_code in (200, 422), (path, answer.text)

    _everything_answers(client, run_id)
    stored = client.get(f"/api/flow_runs/{run_id}").json()
    assert stored["name"] == "run-\\ud800"
    assert stored["parameters"] == {"path": "report-\\udcff.csv", "\\ud800": 1}
    assert stored["tags"] == ["t\\ud800"]
    lines = client.get(f"/api/flow_runs/{run_id}/logs").json()
    assert "read report-\\udcff.csv \\ud800" in [line["message"] for line in lines]
    task_runs = client.get("/api/task_runs", params={"flow_run_id": run_id}).json()
    by_name = {t["name"]: t for t in task_runs}
    assert by_name["task-\\ud800"]["tags"] == ["\\ud800"]
    assert by_name["begun"]["tags"] == ["b\\ud800"]
    assert by_name["begun"]["state_message"] == "no such file report-\\udcff.csv"


def test_non_finite_parameters_are_refused_not_stored_as_null(
    store_url: str, client: httpx.Client
) -> None:
    run = {"id": _id(), "flow_name": "etl", "name": "n", "created": time.time()}
    run["parameters"] = {"x": float("nan")}
    response = _ingest(client, [{"op": "flow_run", "run": run}])
    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    assert run["id"][:8] in error or "flow run" in error
    assert client.get(f"/api/flow_runs/{run['id']}").status_code == 404
    _everything_answers(client)


def test_flow_run_ls_over_http_after_surrogates_were_sent(
    store_url: str, server_url: str, client: httpx.Client, tmp_path: Path
) -> None:
    run_id = _id()
    run = {"id": run_id, "flow_name": "etl", "name": f"r{LONE}", "created": time.time()}
    log = {
        "flow_run_id": run_id,
        "task_run_id": None,
        "level": 20,
        "name": "x",
        "message": LONE,
        "timestamp": time.time(),
    }
    assert (
        _ingest(client, [{"op": "flow_run", "run": run}, {"op": "logs", "logs": [log]}]).json()[
            "errors"
        ]
        == []
    )
    get_embedded_store().flush()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(tmp_path), HEADWATER_API_URL=server_url, COLUMNS="200")
    for args in (["flow-run", "ls"], ["flow-run", "logs", run_id], ["variable", "ls"]):
        proc = subprocess.run(
            [HEADWATER, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, (args, proc.stderr)
    assert (
        "r\\ud800"
        in subprocess.run(
            [HEADWATER, "flow-run", "ls"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    )
