"""The variables and artifacts API endpoints, over a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from headwater import flow
from headwater.artifacts import create_markdown_artifact, create_table_artifact
from headwater.server import create_app
from headwater.variables import Variable


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the test server stopped"
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def test_variable_endpoints(store_url: str, client: httpx.Client) -> None:
    Variable.set("b-var", [1, 2], tags=["t"])
    Variable.set("a-var", {"x": None})
    listed = client.get("/api/variables").json()
    assert [(v["name"], v["value"]) for v in listed] == [("a-var", {"x": None}), ("b-var", [1, 2])]
    one = client.get("/api/variables/b-var")
    assert one.status_code == 200
    assert (one.json()["value"], one.json()["tags"]) == ([1, 2], ["t"])
    missing = client.get("/api/variables/nope")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "variable 'nope' not found"


def test_artifact_endpoints(store_url: str, client: httpx.Client) -> None:
    @flow
    def publishes() -> str:
        create_markdown_artifact("# in flow", key="run-report")
        from headwater.context import flow_run_ctx

        ctx = flow_run_ctx.get()
        assert ctx is not None
        return ctx.flow_run_id

    flow_run_id = publishes()
    loose = create_table_artifact([{"a": 1}], key="run-report", description="outside")

    everything = client.get("/api/artifacts").json()
    assert [a["version"] for a in everything] == [2, 1]
    by_key = client.get("/api/artifacts", params={"key": "run-report"}).json()
    assert len(by_key) == 2
    in_run = client.get("/api/artifacts", params={"flow_run_id": flow_run_id}).json()
    assert [(a["type"], a["data"]) for a in in_run] == [("markdown", "# in flow")]

    one = client.get(f"/api/artifacts/{loose}").json()
    assert (one["type"], one["data"], one["description"]) == ("table", [{"a": 1}], "outside")
    gone = client.get("/api/artifacts/nope")
    assert gone.status_code == 404
    assert gone.json()["detail"] == "artifact 'nope' not found"

    of_run = client.get(f"/api/flow_runs/{flow_run_id[:8]}/artifacts")
    assert of_run.status_code == 200
    assert [a["flow_run_id"] for a in of_run.json()] == [flow_run_id]
    unknown = client.get("/api/flow_runs/ffffffff-0000/artifacts")
    assert unknown.status_code == 404
    assert "ffffffff-0000" in unknown.json()["detail"]
