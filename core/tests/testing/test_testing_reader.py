"""headwater.testing.reader: what a flow recorded, read without the private store."""

from __future__ import annotations

import json

import pytest

from headwater import flow, get_run_logger, task
from headwater.blocks import Secret
from headwater.testing.reader import (
    flow_run_logs,
    flow_run_states,
    latest_flow_run,
    stored_block_document,
    task_runs,
)


def test_latest_flow_run_is_a_lookup_error_when_nothing_ran() -> None:
    with pytest.raises(LookupError, match="no flow run"):
        latest_flow_run()


def test_reads_the_logs_task_runs_and_states_of_the_latest_run() -> None:
    @task
    def double(x: int) -> int:
        get_run_logger().info("doubling %s", x)
        return 2 * x

    @task
    def fail() -> None:
        raise RuntimeError("refused")

    @flow
    def first() -> int:
        return double(1)

    @flow
    def second() -> None:
        double(2)
        fail()

    first()
    first_run = latest_flow_run()
    with pytest.raises(RuntimeError):
        second()
    run = latest_flow_run()
    assert run.flow_name == "second"
    assert run.state_type == "FAILED"
    assert "doubling 2" in flow_run_logs()
    assert "doubling 2" not in flow_run_logs(first_run.id)
    assert "doubling 1" in flow_run_logs(first_run.id)
    assert [(t.state_type, t.name) for t in task_runs()] == [
        ("COMPLETED", "double-0"),
        ("FAILED", "fail-0"),
    ]
    (done,) = task_runs(first_run.id)
    assert done.state_type == "COMPLETED"
    types = [s.type for s in flow_run_states()]
    assert types[0] in {"PENDING", "SCHEDULED"}
    assert types[-1] == "FAILED"
    assert "RUNNING" in types
    assert [s.type for s in flow_run_states(first_run.id)][-1] == "COMPLETED"


def test_stored_block_document_is_the_data_as_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_TEST_TOKEN", "resolved-value")
    Secret(value="env://READER_TEST_TOKEN").save("api")
    assert json.loads(stored_block_document("secret", "api")) == {
        "value": "env://READER_TEST_TOKEN"
    }  # the reference, not what it resolves to
    assert Secret.load("api").get() == "resolved-value"
