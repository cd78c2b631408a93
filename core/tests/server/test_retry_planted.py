"""A flow run planted through ``POST /api/ingest`` is never imported by a retry.

The attack (issue 11, item 1): plant a Failed run whose entrypoint is a ``.py`` file on
the server's machine, then press Retry; the retry imported and ran it. Now a retry
imports only an entrypoint this machine recorded when it started the run
(``HEADWATER_HOME/entrypoints``), checked before anything is imported: through the UI
button, ``headwater flow-run retry`` and ``retry_flow_run`` alike.
"""

from __future__ import annotations

import html
import os
import re
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from headwater import _store, flow
from headwater._engine.run_ledger import recorded_entrypoint
from headwater._flow_retry import RetryRefused, retry_flow_run
from headwater.cli import app as cli_app

PAYLOAD = """
from pathlib import Path
Path({marker!r}).write_text("imported")

from headwater import flow

@flow(name="payload")
def payload() -> None:
    Path({marker!r}).write_text("ran")
"""


def _id() -> str:
    return uuid.uuid4().hex


def _plant(client: httpx.Client, entrypoint: str, run_id: str | None = None) -> str:
    """Plant a Failed flow run with ``entrypoint`` through the ingest API; its id."""
    run_id = run_id or _id()
    now = time.time()
    state = {
        "id": _id(),
        "run_id": run_id,
        "run_kind": "flow",
        "type": "FAILED",
        "name": "Failed",
        "timestamp": now,
    }
    batch: dict[str, Any] = {
        "batch_id": _id(),
        "ops": [
            {
                "op": "flow_run",
                "run": {
                    "id": run_id,
                    "flow_name": "payload",
                    "name": "planted-run",
                    "created": now,
                    "entrypoint": entrypoint,
                },
            },
            {"op": "state", "run_kind": "flow", "run_id": run_id, "state": state},
        ],
    }
    response = client.post("/api/ingest", json=batch)
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == []
    assert _store.get_store().read_flow_run(run_id).state_type == "FAILED"
    return run_id


def _payload(tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "pwned"
    script = tmp_path / "payload.py"
    script.write_text(textwrap.dedent(PAYLOAD.format(marker=str(marker))))
    return f"{script}:payload", marker


def test_retry_refuses_a_planted_run_before_importing_anything(
    store_url: str, client: httpx.Client, tmp_path: Path
) -> None:
    entrypoint, marker = _payload(tmp_path)
    run_id = _plant(client, entrypoint)
    with pytest.raises(RetryRefused, match="did not start it"):
        retry_flow_run(run_id)
    assert not marker.exists()
    result = CliRunner().invoke(cli_app, ["flow-run", "retry", run_id])
    assert result.exit_code == 1
    assert "did not start it" in result.output
    assert not marker.exists()
    assert _store.get_store().read_flow_run(run_id).run_count == 0  # never claimed


def test_the_retry_button_does_not_run_a_planted_run(
    store_url: str, client: httpx.Client, tmp_path: Path
) -> None:
    entrypoint, marker = _payload(tmp_path)
    run_id = _plant(client, entrypoint)
    path = f"/flow-runs/{run_id}"
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert match is not None
    started = client.post(f"{path}/retry", data={"csrf_token": html.unescape(match.group(1))})
    assert started.status_code == 303
    logs_dir = Path(os.environ["HEADWATER_HOME"]) / "logs"
    deadline = time.monotonic() + 120
    text = ""
    while "did not start it" not in text and time.monotonic() < deadline:
        text = "".join(p.read_text() for p in logs_dir.glob(f"retry-{run_id}-*.log"))
        time.sleep(0.2)
    assert "did not start it" in text
    assert not marker.exists()
    assert _store.get_store().read_flow_run(run_id).state_type == "FAILED"


@flow(name="real-one")
def real_one() -> None:
    raise RuntimeError("fails")


def test_siblings_of_the_plant_are_refused(
    store_url: str, client: httpx.Client, tmp_path: Path
) -> None:
    entrypoint, marker = _payload(tmp_path)
    # a real run of this machine is recorded ...
    state = real_one(return_state=True)
    real = _store.get_store().read_flow_runs(flow_name="real-one")[0]
    assert state.is_failed()
    assert recorded_entrypoint(real.id) == real.entrypoint
    # ... but a planted run naming the same, real entrypoint is not (no record of its id)
    assert real.entrypoint is not None
    twin = _plant(client, real.entrypoint)
    with pytest.raises(RetryRefused, match="did not start it"):
        retry_flow_run(twin)
    # ids that are not file names never reach the ledger
    for bad in ("../../etc/passwd", "a/b", ".", ""):
        assert recorded_entrypoint(bad) is None
    # a ledger entry naming another entrypoint than the store's is refused
    planted = _plant(client, entrypoint)
    ledger = Path(os.environ["HEADWATER_HOME"]) / "entrypoints"
    (ledger / planted).write_text(real.entrypoint)
    with pytest.raises(RetryRefused, match="did not start it"):
        retry_flow_run(planted)
    assert not marker.exists()


def test_the_ledger_is_private(store_url: str) -> None:
    real_one(return_state=True)
    run = _store.get_store().read_flow_runs(flow_name="real-one")[0]
    ledger = Path(os.environ["HEADWATER_HOME"]) / "entrypoints"
    assert ledger.stat().st_mode & 0o777 == 0o700
    assert (ledger / run.id).stat().st_mode & 0o777 == 0o600


@flow(name="unrecorded")
def unrecorded() -> str:
    return "done"


def test_a_ledger_that_cannot_be_written_is_said_and_does_not_fail_the_run(
    store_url: str,
) -> None:
    ledger = Path(os.environ["HEADWATER_HOME"]) / "entrypoints"
    ledger.write_text("a file where the ledger folder must go")  # any OSError will do
    state = unrecorded(return_state=True)
    assert state.is_completed()
    run = _store.get_store().read_flow_runs(flow_name="unrecorded")[0]
    logs = [r.message for r in _store.get_store().read_logs(flow_run_id=run.id)]
    assert any("cannot be retried from this machine" in m for m in logs), logs
    assert recorded_entrypoint(run.id) is None
