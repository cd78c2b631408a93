"""Run loggers: context, console format, storage with run ids."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest

from headwater import logging as hw_logging
from headwater._store import get_store
from headwater._store.records import FlowRunRecord, TaskRunRecord
from headwater.errors import MissingContextError
from headwater.logging import get_run_logger, run_logger, setup_logging

LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| (?P<level>[A-Z]+ *) \| (?P<who>.+?) - (?P<msg>.*)$")


def test_get_run_logger_outside_a_run_is_missing_context() -> None:
    with pytest.raises(MissingContextError, match="outside a flow or task run"):
        get_run_logger()


def test_flow_run_logger_carries_flow_run_id(contexts: Any) -> None:
    with contexts.in_flow(contexts.flow()):
        logger = get_run_logger()
    assert logger.logger.name == "headwater.flow_runs"
    assert logger.extra is not None
    assert logger.extra["flow_run_id"] == "flow-run-1"
    assert logger.extra["task_run_id"] is None
    assert logger.extra["flow_run_name"] == "my-flow-run"


def test_task_run_logger_carries_both_ids(contexts: Any) -> None:
    with contexts.in_flow(contexts.flow()), contexts.in_task(contexts.task()):
        logger = get_run_logger()
    assert logger.logger.name == "headwater.task_runs"
    assert logger.extra is not None
    assert (logger.extra["flow_run_id"], logger.extra["task_run_id"]) == (
        "flow-run-1",
        "task-run-1",
    )
    assert logger.extra["task_run_name"] == "my-task-0"


def test_nested_flow_inside_task_is_innermost(contexts: Any) -> None:
    with (
        contexts.in_flow(contexts.flow()),
        contexts.in_task(contexts.task()),
        contexts.in_flow(contexts.flow("child", run_id="flow-run-2")),
    ):
        logger = get_run_logger()
    assert logger.extra is not None
    assert logger.extra["flow_run_id"] == "flow-run-2"
    assert logger.extra["task_run_id"] is None


def test_console_format_for_flow_and_task_runs(
    contexts: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging()
    run_logger(contexts.flow()).info("flow says %s", "hi")
    run_logger(contexts.task()).warning("task warns")
    logging.getLogger("headwater.engine").error("plain record")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["level"], m["who"], m["msg"]) for m in parsed if m] == [
        ("INFO   ", "Flow run 'my-flow-run'", "flow says hi"),
        ("WARNING", "Task run 'my-task-0'", "task warns"),
        ("ERROR  ", "headwater.engine", "plain record"),
    ]


def test_console_includes_tracebacks(contexts: Any, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging()
    try:
        raise ValueError("kaput")
    except ValueError:
        run_logger(contexts.task()).exception("it failed")
    err = capsys.readouterr().err
    assert "it failed" in err
    assert "Traceback" in err
    assert "ValueError: kaput" in err


def test_level_from_settings_and_idempotent_setup(
    contexts: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "WARNING")
    reset_settings()
    setup_logging()
    setup_logging()
    logger = run_logger(contexts.flow())
    logger.info("hidden")
    logger.warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err
    assert err.count("shown") == 1
    handlers = logging.getLogger("headwater").handlers
    assert sorted(type(h).__name__ for h in handlers) == ["ConsoleHandler", "StoreHandler"]


def test_setup_stops_propagation_by_default_and_reset_restores(
    caplog: pytest.LogCaptureFixture,
) -> None:
    root_logger = logging.getLogger("headwater")
    before = root_logger.propagate
    setup_logging()
    assert root_logger.propagate is False
    hw_logging.reset_logging()
    assert root_logger.propagate is before
    assert not [h for h in root_logger.handlers if getattr(h, "_headwater_handler", None)]


def test_call_extra_is_merged_not_dropped(contexts: Any) -> None:
    seen: list[logging.LogRecord] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    grab = Grab()
    target = logging.getLogger("headwater.task_runs")
    target.addHandler(grab)
    target.setLevel(logging.DEBUG)
    try:
        run_logger(contexts.task()).info("x", extra={"custom": 1})
    finally:
        target.removeHandler(grab)
        target.setLevel(logging.NOTSET)
    assert seen[0].custom == 1  # type: ignore[attr-defined]
    assert seen[0].task_run_id == "task-run-1"  # type: ignore[attr-defined]


def test_run_logs_are_stored_with_run_ids(
    contexts: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    store = get_store()
    now = time.time()
    store.create_flow_run(
        FlowRunRecord(id="flow-run-1", flow_name="my-flow", name="my-flow-run", created=now)
    )
    store.create_task_run(
        TaskRunRecord(
            id="task-run-1",
            flow_run_id="flow-run-1",
            task_key="k",
            dynamic_key="0",
            name="my-task-0",
            created=now,
        )
    )
    setup_logging()
    with contexts.in_flow(contexts.flow()):
        get_run_logger().info("from the flow")
        with contexts.in_task(contexts.task()):
            get_run_logger().warning("from the task")
    logging.getLogger("headwater.engine").info("no run ids: not stored")
    store.flush(timeout=30)
    logs = store.read_logs(flow_run_id="flow-run-1")
    assert [(r.message, r.flow_run_id, r.task_run_id, r.level, r.name) for r in logs] == [
        ("from the flow", "flow-run-1", None, logging.INFO, "headwater.flow_runs"),
        ("from the task", "flow-run-1", "task-run-1", logging.WARNING, "headwater.task_runs"),
    ]
    assert [r.message for r in store.read_logs(task_run_id="task-run-1")] == ["from the task"]
    assert all(abs(r.timestamp - now) < 60 for r in logs)


def test_disable_run_logger_allows_calling_task_functions_directly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging()
    with hw_logging.disable_run_logger():
        logger = get_run_logger()
        logger.error("dropped")
    assert "dropped" not in capsys.readouterr().err
    with pytest.raises(MissingContextError):
        get_run_logger()
    assert not logging.getLogger("headwater.task_runs").disabled


def test_get_logger_names_are_under_headwater() -> None:
    assert hw_logging.get_logger().name == "headwater"
    assert hw_logging.get_logger("engine").name == "headwater.engine"
    assert hw_logging.get_logger("headwater.cli").name == "headwater.cli"
