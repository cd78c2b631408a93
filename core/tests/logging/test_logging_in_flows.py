"""Run logging through real flows and tasks (the engine calls into headwater.logging)."""

from __future__ import annotations

import logging

import pytest

from headwater import flow, get_run_logger, task
from headwater._store import get_store
from headwater.logging import enable_print_capture, register_secret, setup_logging


def test_user_logs_and_prints_are_stored_with_run_ids(capsys: pytest.CaptureFixture[str]) -> None:
    # The engine installs these once per process; this directory's fixture removes
    # them around each test, so install them here as the engine's first run would.
    setup_logging()
    enable_print_capture()

    @task
    def step(x: int) -> int:
        get_run_logger().warning("step got %s", x)
        print("printed by step", x)
        return x + 1

    @flow(log_prints=True)
    def pipeline() -> int:
        get_run_logger().info("pipeline starts")
        print("printed by flow")
        return step(1)

    state = pipeline(return_state=True)
    assert state.result() == 2
    store = get_store()
    store.flush(timeout=30)
    run = store.read_flow_runs(limit=1)[0]
    (task_run,) = store.read_task_runs(flow_run_id=run.id)
    logs = [(r.message, r.flow_run_id, r.task_run_id) for r in store.read_logs(flow_run_id=run.id)]
    assert ("pipeline starts", run.id, None) in logs
    assert ("printed by flow", run.id, None) in logs
    assert ("step got 1", run.id, task_run.id) in logs
    assert ("printed by step 1", run.id, task_run.id) in logs
    err = capsys.readouterr().err
    assert f"| WARNING | Task run '{task_run.name}' - step got 1" in err
    assert f"| INFO    | Flow run '{run.name}' - pipeline starts" in err


def test_prints_are_not_logged_without_log_prints(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging()
    enable_print_capture()

    @flow
    def quiet() -> None:
        print("just printed")

    quiet()
    store = get_store()
    store.flush(timeout=30)
    run = store.read_flow_runs(limit=1)[0]
    assert "just printed" not in [r.message for r in store.read_logs(flow_run_id=run.id)]
    assert "just printed" in capsys.readouterr().out


def test_secrets_are_masked_in_stored_flow_logs() -> None:
    setup_logging()
    register_secret("tok-123456")

    @flow
    def leaky() -> None:
        get_run_logger().error("using tok-123456")

    leaky()
    store = get_store()
    store.flush(timeout=30)
    run = store.read_flow_runs(limit=1)[0]
    messages = [r.message for r in store.read_logs(flow_run_id=run.id, min_level=logging.ERROR)]
    assert messages == ["using ********"]
