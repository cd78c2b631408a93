"""Several server replicas over one PostgreSQL database: what one writes, the others serve, and
two clients racing to start the same scheduled run through different replicas cannot both win.

Real `headwater server start` processes; the race uses real threads with their own HTTP
connections, released together by a barrier.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PG_BASE_URL = os.environ.get(
    "HEADWATER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REPLICAS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def pg_url() -> Iterator[str]:
    import psycopg

    schema = f"hw_replicas_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_BASE_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:  # fail loudly: CI must not silently skip
        pytest.fail(f"PostgreSQL is not reachable at {PG_BASE_URL}: {exc}", pytrace=False)
    sep = "&" if "?" in PG_BASE_URL else "?"
    yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_BASE_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def replicas(pg_url: str, headwater_home: Path) -> Iterator[list[str]]:
    """Two server processes over the same PostgreSQL schema (and the same encryption key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(
        HEADWATER_DATABASE_URL=pg_url,
        HEADWATER_HOME=str(headwater_home),
        HEADWATER_ENCRYPTION_KEY="aGVhZHdhdGVyLXJlcGxpY2EtdGVzdC1rZXktMzJieXQ=",
    )
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(REPLICAS):
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "headwater.cli", "server", "start", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for url, process in zip(urls, processes, strict=True):
            while True:
                if process.poll() is not None:
                    err = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"a replica exited: {err}", pytrace=False)
                try:
                    if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("a replica did not start within 60 s", pytrace=False)
                time.sleep(0.1)
        os.environ["HEADWATER_DATABASE_URL"] = pg_url
        os.environ["HEADWATER_ENCRYPTION_KEY"] = env["HEADWATER_ENCRYPTION_KEY"]
        from headwater._store import reset_store
        from headwater.settings import reset_settings

        reset_settings()
        reset_store()
        yield urls
    finally:
        from headwater._store import reset_store
        from headwater.settings import reset_settings

        os.environ.pop("HEADWATER_DATABASE_URL", None)
        os.environ.pop("HEADWATER_ENCRYPTION_KEY", None)
        reset_store()
        reset_settings()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _scheduled_run() -> str:
    from headwater._store import FlowRunRecord, StateRecord, get_store

    store = get_store()
    run_id = uuid.uuid4().hex
    store.create_flow_run(
        FlowRunRecord(id=run_id, flow_name="nightly", name="scheduled-run", created=time.time())
    )
    store.set_state(
        "flow",
        run_id,
        StateRecord(
            id=uuid.uuid4().hex,
            run_id=run_id,
            run_kind="flow",
            type="SCHEDULED",
            name="Scheduled",
            timestamp=time.time(),
        ),
    )
    store.flush()
    return run_id


@pytest.mark.postgres
def test_a_run_recorded_anywhere_is_served_by_every_replica(replicas: list[str]) -> None:
    from headwater import flow

    @flow
    def replicated() -> int:
        return 1

    assert replicated() == 1
    for url in replicas:
        runs = httpx.get(f"{url}/api/flow_runs", params={"flow_name": "replicated"}).json()
        assert [r["state_type"] for r in runs] == ["COMPLETED"]
        page = httpx.get(f"{url}/flow-runs")
        assert page.status_code == 200
        assert "replicated" in page.text


@pytest.mark.postgres
def test_racing_claims_through_different_replicas_have_one_winner(replicas: list[str]) -> None:
    clients_per_replica = 4
    for _round in range(3):
        run_id = _scheduled_run()
        n = clients_per_replica * len(replicas)
        barrier = threading.Barrier(n)
        outcomes: list[str] = []

        def claim(
            url: str,
            i: int,
            run_id: str = run_id,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            with httpx.Client(base_url=url, timeout=30) as http:
                http.get("/api/health")  # connect before the race
                barrier.wait()
                response = http.post(
                    f"/api/flow_runs/{run_id}/set_state",
                    json={"type": "RUNNING", "name": "Running", "transition_id": f"claim-{i}"},
                )
            assert response.status_code == 200, response.text
            outcomes.append(response.json()["status"])  # list.append is atomic

        threads = [
            threading.Thread(target=claim, args=(replicas[i % len(replicas)], i)) for i in range(n)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["ACCEPT"] + ["REJECT"] * (n - 1)
        states = httpx.get(f"{replicas[0]}/api/flow_runs/{run_id}/states").json()
        assert [s["type"] for s in states].count("RUNNING") == 1
