"""Ingest over HTTP: how many task-run state changes per second a server on SQLite takes.

Starts a real ``headwater server start`` over a fresh home (SQLite), points this
process at it with ``HEADWATER_API_URL`` and pushes N task runs with three state
changes each (Pending, Running, Completed) through the store (``get_store()``,
the HTTP client the engine uses: buffered, batched, posted to ``/api/ingest``),
then flushes. The rate is state changes per second from the first write to the
end of the flush (every batch acknowledged, i.e. durable on the server). Then
the states are counted in the server's database file: *dropped* must be 0, and
the script exits non-zero otherwise.

Run alone with ``python benchmarks/ingest.py [--quick]``; ``nox -s bench`` runs it
after the main table.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

TARGET_PER_SECOND = 500
"""The issue's floor: task-run state changes per second on SQLite, nothing dropped."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer /api/health")


def measure(n: int) -> dict[str, float]:
    """Push ``n`` task runs x 3 states through a fresh server; rate and the drop count."""
    with tempfile.TemporaryDirectory(prefix="hw-ingest-") as tmp:
        server_home = Path(tmp) / "server"
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env["HEADWATER_HOME"] = str(server_home)
        proc = subprocess.Popen(
            [sys.executable, "-m", "headwater.cli", "server", "start", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(url, proc)
            return _push(url, n, server_home / "headwater.db", Path(tmp) / "client")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def _push(url: str, n: int, database: Path, client_home: Path) -> dict[str, float]:
    from headwater._store import FlowRunRecord, StateRecord, TaskRunRecord, get_store, reset_store
    from headwater.settings import reset_settings

    for name in [k for k in os.environ if k.startswith("HEADWATER_")]:
        del os.environ[name]
    os.environ.update(HEADWATER_HOME=str(client_home), HEADWATER_API_URL=url)
    reset_settings()
    reset_store()
    store = get_store()
    flow_run = FlowRunRecord(id=uuid.uuid4().hex, flow_name="ingest", name="bench", created=0.0)
    store.create_flow_run(flow_run)
    store.flush()

    def state(run_id: str, type_: str, ts: float) -> StateRecord:
        return StateRecord(uuid.uuid4().hex, run_id, "task", type_, type_.title(), ts)

    start = time.perf_counter()
    for i in range(n):
        now = time.time()
        run = TaskRunRecord(uuid.uuid4().hex, flow_run.id, "bench.task", str(i), f"task-{i}", now)
        store.create_task_run(run)
        store.set_state("task", run.id, state(run.id, "PENDING", now))
        store.set_state("task", run.id, state(run.id, "RUNNING", now), start_time=now, run_count=1)
        store.set_state("task", run.id, state(run.id, "COMPLETED", now), end_time=now)
    enqueued = time.perf_counter() - start
    store.flush(timeout=600)
    elapsed = time.perf_counter() - start
    reset_store()

    with sqlite3.connect(database) as db:
        stored = db.execute(
            "SELECT COUNT(*) FROM states WHERE run_kind = 'task' AND run_id IN"
            " (SELECT id FROM task_runs WHERE flow_run_id = ?)",
            (flow_run.id,),
        ).fetchone()[0]
        runs = db.execute(
            "SELECT COUNT(*) FROM task_runs WHERE flow_run_id = ? AND state_type = 'COMPLETED'",
            (flow_run.id,),
        ).fetchone()[0]
    changes = 3 * n
    return {
        "task_runs": float(n),
        "state_changes": float(changes),
        "enqueue_seconds": enqueued,
        "seconds": elapsed,
        "per_second": changes / elapsed,
        "stored_states": float(stored),
        "completed_runs": float(runs),
        "dropped": float(changes - stored + (n - runs)),
    }


def rows(results: list[dict[str, float]]) -> list[tuple[str, ...]]:
    """Table rows: task runs, state changes, seconds, changes per second, dropped."""
    return [
        (
            f"{r['task_runs']:,.0f}",
            f"{r['state_changes']:,.0f}",
            f"{r['seconds']:.2f} s",
            f"{r['per_second']:,.0f} /s",
            f"{r['dropped']:,.0f}",
        )
        for r in results
    ]


HEADERS = ("task runs", "state changes", "time (to durable)", "state changes per second", "dropped")


def print_table(results: list[dict[str, float]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Ingest over HTTP, SQLite server (target >= {TARGET_PER_SECOND}/s)")
    for header in HEADERS:
        table.add_column(header)
    for row in rows(results):
        table.add_row(*row)
    Console().print(table)
    for r in results:
        print(f"dropped: {r['dropped']:.0f} of {r['state_changes']:,.0f} state changes")


def run(sizes: list[int]) -> list[dict[str, float]]:
    """Measure every size; raises SystemExit(1) when anything was dropped."""
    results = [measure(n) for n in sizes]
    print_table(results)
    if any(r["dropped"] for r in results):
        print("FAILED: some state changes were not stored", file=sys.stderr)
        raise SystemExit(1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 task runs only")
    args = parser.parse_args()
    run([2_000] if args.quick else [1_000, 10_000, 50_000])


if __name__ == "__main__":
    main()
