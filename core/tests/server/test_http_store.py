"""The HTTP store as its users meet it: get_store() with HEADWATER_API_URL, real flows and
the CLI in subprocesses reporting to a real server, errors, retries, and the API key.

The store's own suite also runs over HTTP (core/tests/store/conftest.py); these
tests cover what only the HTTP store has.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from headwater._store import (
    FlowRunRecord,
    LogRecord,
    Store,
    get_embedded_store,
    get_store,
    reset_store,
)
from headwater._store.http import HttpStore
from headwater._store.sql import SqlStore
from headwater.errors import (
    AuthorizationError,
    ConfigurationError,
    InvalidStateTransition,
    ObjectAlreadyExists,
    ObjectNotFound,
    StoreError,
)
from headwater.settings import reset_settings

HEADWATER = str(Path(sys.executable).with_name("headwater"))


def _flow_run(**kw: object) -> FlowRunRecord:
    return FlowRunRecord(
        id=uuid.uuid4().hex, flow_name="etl", name="brave-otter", created=time.time(), **kw
    )  # type: ignore[arg-type]


@pytest.fixture
def http_store(store_url: str, server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """get_store() over HTTP to the session's server (which serves the test's database)."""
    monkeypatch.setenv("HEADWATER_API_URL", server_url)
    reset_settings()
    reset_store()
    return get_store()


def _client_env(server_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a client process: its own empty home, the server's URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(
        HEADWATER_HOME=str(home),
        HEADWATER_API_URL=server_url,
        HEADWATER_PROGRESS="false",
        **extra,
    )
    return env


def test_get_store_follows_api_url_and_the_server_stays_embedded(http_store: Store) -> None:
    assert isinstance(http_store, HttpStore)
    assert get_store() is http_store  # cached
    embedded = get_embedded_store()
    assert isinstance(embedded, SqlStore)
    run = _flow_run()
    http_store.create_flow_run(run)
    http_store.flush()
    assert embedded.read_flow_run(run.id) == run  # exactly the record, through the server


def test_import_headwater_does_not_import_httpx() -> None:
    code = "import sys, headwater, headwater._store; print('httpx' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_store_errors_keep_their_types_over_http(http_store: Store) -> None:
    from headwater._store import VariableRecord

    with pytest.raises(ObjectNotFound, match="nope"):
        http_store.read_task_run("nope")
    with pytest.raises(ObjectNotFound, match="at least 6"):
        http_store.read_flow_run("12345")
    http_store.save_variable(VariableRecord("region", "eu", created=1.0, updated=1.0))
    with pytest.raises(ObjectAlreadyExists, match="region"):
        http_store.save_variable(VariableRecord("region", "us", created=2.0, updated=2.0))
    done = _flow_run(state_type="COMPLETED", state_name="Completed")
    http_store.create_flow_run(done)
    with pytest.raises(InvalidStateTransition, match=done.id):
        http_store.cancel_flow_run(done.id)
    with pytest.raises(ConfigurationError, match="`sort`"):
        http_store.read_flow_runs(sort="newest")  # type: ignore[arg-type]


def test_reads_see_this_process_buffered_writes(http_store: Store) -> None:
    run = _flow_run()
    http_store.create_flow_run(run)
    http_store.write_logs([LogRecord(run.id, None, 20, "t", "first", time.time())])
    # no flush: the read waits for this process's buffered writes, as the embedded store does
    assert http_store.read_flow_run(run.id).id == run.id
    assert [m.message for m in http_store.read_logs(flow_run_id=run.id)] == ["first"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server_on(port: int) -> Iterator[None]:
    import uvicorn

    from headwater.server import create_app

    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_unreachable_server_is_a_store_error_naming_the_url_and_what_was_lost(
    store_url: str,
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    store = HttpStore(url, retry_seconds=0.5)
    try:
        with pytest.raises(StoreError, match=f"cannot reach the Headwater server at {url}"):
            store.read_concurrency_limits()
        store.create_flow_run(_flow_run())
        store.write_logs([LogRecord(None, None, 20, "t", "lost", time.time())])
        with pytest.raises(StoreError) as info:
            store.flush()
        message = str(info.value)
        assert url in message
        assert "1 flow run, 1 log batch were not written" in message
    finally:
        store.close()


def test_writes_and_reads_are_retried_until_the_server_is_back(store_url: str) -> None:
    port = _free_port()
    store = HttpStore(f"http://127.0.0.1:{port}", retry_seconds=30)
    stop = threading.Event()

    def serve_later() -> None:
        time.sleep(1.0)  # nobody listens yet: the writer and the read keep retrying
        with _server_on(port):
            stop.wait(60)

    server = threading.Thread(target=serve_later, daemon=True)
    try:
        run = _flow_run()
        store.create_flow_run(run)
        server.start()
        assert store.read_concurrency_limits() == []  # a GET, retried
        assert store.read_flow_run(run.id) == run  # the batch got through first
        store.close()
        assert get_embedded_store().read_flow_run(run.id) == run
    finally:
        store.close()
        stop.set()
        server.join(timeout=60)


_FLOW = textwrap.dedent(
    """
    import os
    from headwater import flow, get_run_logger, task

    calls = {"flaky": 0}

    @task(retries=2, retry_delay_seconds=0)
    def flaky() -> str:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise RuntimeError("not yet")
        return "ok"

    @task
    def square(x: int) -> int:
        return x * x

    @task
    def explode() -> None:
        raise ValueError("boom")

    @flow(name="over-http")
    def pipeline() -> int:
        get_run_logger().info("starting over http")
        flaky()
        return sum(f.result() for f in square.map([1, 2, 3]))

    @flow(name="broken-over-http")
    def broken() -> None:
        explode()

    assert pipeline() == 14
    assert broken(return_state=True).is_failed()
    print(os.getpid())
    """
)


def test_a_real_flow_in_another_process_reports_over_http(
    store_url: str, server_url: str, tmp_path: Path
) -> None:
    client_home = tmp_path / "client-home"
    proc = subprocess.run(
        [sys.executable, "-c", _FLOW],
        env=_client_env(server_url, client_home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    client_pid = int(proc.stdout.split()[-1])
    assert not (client_home / "headwater.db").exists()  # nothing was written locally

    store = get_embedded_store()
    (run,) = store.read_flow_runs(flow_name="over-http")
    assert (run.state_type, run.pid) == ("COMPLETED", client_pid)
    tasks = store.read_task_runs(flow_run_id=run.id)
    assert sorted(t.name.split("-")[0] for t in tasks) == ["flaky", "square", "square", "square"]
    assert {t.state_type for t in tasks} == {"COMPLETED"}
    (flaky,) = [t for t in tasks if t.name.startswith("flaky")]
    assert flaky.run_count == 3
    history = [(s.type, s.name) for s in store.read_states(flaky.id)]
    assert history.count(("SCHEDULED", "AwaitingRetry")) == 2
    assert history[-1] == ("COMPLETED", "Completed")
    messages = [m.message for m in store.read_logs(flow_run_id=run.id)]
    assert "starting over http" in messages
    assert any("not yet" in m for m in messages)

    (failed,) = store.read_flow_runs(flow_name="broken-over-http")
    assert failed.state_type == "FAILED"
    (boom,) = store.read_task_runs(flow_run_id=failed.id)
    assert boom.state_type == "FAILED"
    assert "boom" in (boom.state_message or "")


def _cli(server_url: str, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HEADWATER, *args],
        env=_client_env(server_url, home, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_works_over_http(store_url: str, server_url: str, tmp_path: Path) -> None:
    store = get_embedded_store()
    done = _flow_run(state_type="COMPLETED", state_name="Completed", tags=["nightly"])
    waiting = _flow_run(state_type="SCHEDULED", state_name="Scheduled")
    for run in (done, waiting):
        store.create_flow_run(run)
    store.flush()
    home = tmp_path / "cli-home"

    listed = _cli(server_url, home, "flow-run", "ls", "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert {r["id"] for r in json.loads(listed.stdout)} == {done.id, waiting.id}
    inspected = _cli(server_url, home, "flow-run", "inspect", done.id[:8])
    assert inspected.returncode == 0, inspected.stderr
    assert done.id in inspected.stdout
    cancelled = _cli(server_url, home, "flow-run", "cancel", waiting.id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert store.read_flow_run(waiting.id).state_type == "CANCELLED"
    refused = _cli(server_url, home, "flow-run", "cancel", done.id)
    assert refused.returncode == 1
    assert done.id in refused.stderr

    created = _cli(server_url, home, "concurrency-limit", "create", "db", "2")
    assert created.returncode == 0, created.stderr
    assert store.read_concurrency_limit("db").limit == 2
    limits = _cli(server_url, home, "concurrency-limit", "ls", "--output", "json")
    assert limits.returncode == 0, limits.stderr
    assert [(lim["tag"], lim["limit"]) for lim in json.loads(limits.stdout)] == [("db", 2)]
    assert not (home / "headwater.db").exists()


_ADMIN = "admin-" + "a" * 40
_READ = "read-" + "r" * 40


def test_api_key_end_to_end(
    store_url: str, server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tokens on the server, a client sends HEADWATER_API_KEY; a missing or wrong key,
    or a read-only key used to write, fails with AuthorizationError naming the setting."""
    monkeypatch.setenv("HEADWATER_SERVER_ADMIN_TOKEN", _ADMIN)
    monkeypatch.setenv("HEADWATER_SERVER_READ_TOKEN", _READ)
    monkeypatch.setenv("HEADWATER_API_URL", server_url)
    reset_settings()  # the server (same process) reads the tokens per request

    def store_with(key: str | None) -> Store:
        if key is None:
            monkeypatch.delenv("HEADWATER_API_KEY", raising=False)
        else:
            monkeypatch.setenv("HEADWATER_API_KEY", key)
        reset_settings()
        reset_store()
        return get_store()

    with pytest.raises(AuthorizationError, match="set HEADWATER_API_KEY"):
        store_with(None).read_concurrency_limits()
    wrong = "wrong-" + "w" * 40
    with pytest.raises(AuthorizationError, match="HEADWATER_API_KEY was refused") as info:
        store_with(wrong).read_concurrency_limits()
    assert wrong not in str(info.value)
    # a buffered write with a wrong key surfaces at flush, as what it is
    store = store_with(wrong)
    store.create_flow_run(_flow_run())
    with pytest.raises(AuthorizationError, match="HEADWATER_API_KEY") as info:
        store.flush()
    assert "1 flow run were not written" in str(info.value)
    # a read-only key reads, and is refused writes naming the admin role
    reader = store_with(_READ)
    assert reader.read_concurrency_limits() == []
    with pytest.raises(AuthorizationError, match="admin role"):
        reader.create_concurrency_limit("db", 1)
    assert get_embedded_store().read_concurrency_limits() == []
    store_with(None)  # closes the reader (nothing buffered)

    # a real flow in another process, with the admin key, reports over HTTP
    code = "from headwater import flow\n@flow(name='keyed')\ndef keyed() -> int:\n    return 1\nkeyed()"
    env = _client_env(server_url, tmp_path / "keyed", HEADWATER_API_KEY=_ADMIN)
    ok = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert [r.state_type for r in get_embedded_store().read_flow_runs(flow_name="keyed")] == [
        "COMPLETED"
    ]
    env["HEADWATER_API_KEY"] = wrong
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "AuthorizationError" in refused.stderr
    assert "HEADWATER_API_KEY" in refused.stderr
    assert wrong not in refused.stderr


_LONG = textwrap.dedent(
    """
    import time
    from headwater import flow, task

    @task
    def nap() -> None:
        for _ in range(1200):
            time.sleep(0.05)

    @flow(name="long-over-http")
    def long_flow() -> None:
        nap()

    print(long_flow(return_state=True).type.value, flush=True)
    """
)


def test_cancel_over_http_stops_a_flow_running_in_another_process(
    store_url: str, server_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "runner"
    proc = subprocess.Popen(
        [sys.executable, "-c", _LONG],
        env=_client_env(server_url, home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        store = get_embedded_store()
        deadline = time.monotonic() + 60
        runs: list[FlowRunRecord] = []
        while not runs:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the flow never showed up as Running"
            runs = store.read_flow_runs(flow_name="long-over-http", state_types=["RUNNING"])
            time.sleep(0.1)
        (run,) = runs
        assert run.pid == proc.pid  # claimed for the client process
        cancelled = _cli(server_url, tmp_path / "cli", "flow-run", "cancel", run.id)
        assert cancelled.returncode == 0, cancelled.stderr
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.strip() == "CANCELLED"
    assert store.read_flow_run(run.id).state_type == "CANCELLED"
    (nap,) = store.read_task_runs(flow_run_id=run.id)
    assert nap.state_type == "CANCELLED"
