"""HTTP mode end to end: `headwater server start` in one process, a flow of 10,000 tasks
reporting to it over HTTP from another; the server ends up with every task run."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

N_TASKS = 10_000

_FLOW = textwrap.dedent(
    f"""
    from headwater import flow, task

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(name="ten-thousand")
    def ten_thousand() -> int:
        return sum(f.result() for f in double.map(range({N_TASKS})))

    assert ten_thousand() == {N_TASKS * (N_TASKS - 1)}
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(home), HEADWATER_PROGRESS="false", **extra)
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`headwater server start` over a fresh home; yields its URL and its database file."""
    home = tmp_path / "server-home"
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli", "server", "start", "--port", str(port)],
        env=_clean_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "server exited"
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /api/health"
            time.sleep(0.1)
        yield url, home / "headwater.db"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.mark.slow
def test_a_flow_of_ten_thousand_tasks_over_http_leaves_every_task_run(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    url, database = server
    client_home = tmp_path / "client-home"
    flow = subprocess.run(
        [sys.executable, "-c", _FLOW],
        env=_clean_env(client_home, HEADWATER_API_URL=url),
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert flow.returncode == 0, flow.stderr[-3000:]
    assert not (client_home / "headwater.db").exists()  # everything went over HTTP

    # what the server holds, through its API ...
    runs = httpx.get(f"{url}/api/flow_runs", params={"flow_name": "ten-thousand"}).json()
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    run_id = runs[0]["id"]
    count = httpx.get(f"{url}/api/store/task_runs/count", params={"flow_run_id": run_id}).json()
    assert count == {"count": N_TASKS}
    # ... and in its database file
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT state_type, COUNT(*), COUNT(DISTINCT dynamic_key) FROM task_runs"
            " WHERE flow_run_id = ? GROUP BY state_type",
            (run_id,),
        ).fetchall()
        states = db.execute(
            "SELECT COUNT(*) FROM states WHERE run_id IN"
            " (SELECT id FROM task_runs WHERE flow_run_id = ?)",
            (run_id,),
        ).fetchone()[0]
    assert rows == [("COMPLETED", N_TASKS, N_TASKS)]
    assert states == 3 * N_TASKS  # Pending, Running, Completed for each
