"""Print capture: prints of runs with log_prints=True become run logs."""

from __future__ import annotations

import builtins
import io
import logging
from typing import Any

import pytest

from headwater.logging import disable_print_capture, enable_print_capture


@pytest.fixture
def records() -> Any:
    seen: list[logging.LogRecord] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    grab = Grab()
    target = logging.getLogger("headwater")
    target.addHandler(grab)
    target.setLevel(logging.DEBUG)
    yield seen
    target.removeHandler(grab)
    target.setLevel(logging.NOTSET)


def test_enable_is_idempotent_and_disable_restores() -> None:
    original = builtins.print
    enable_print_capture()
    wrapped = builtins.print
    assert wrapped is not original
    enable_print_capture()
    assert builtins.print is wrapped
    disable_print_capture()
    assert builtins.print is original


def test_prints_in_a_task_with_log_prints_go_to_the_log_not_stdout(
    contexts: Any, records: list[logging.LogRecord], capsys: pytest.CaptureFixture[str]
) -> None:
    enable_print_capture()
    with contexts.in_flow(contexts.flow()), contexts.in_task(contexts.task(log_prints=True)):
        print("rows:", 10, sep=" ")
    assert capsys.readouterr().out == ""
    assert [(r.getMessage(), r.levelno, r.task_run_id) for r in records] == [  # type: ignore[attr-defined]
        ("rows: 10", logging.INFO, "task-run-1")
    ]


def test_prints_in_a_flow_with_log_prints(contexts: Any, records: list[logging.LogRecord]) -> None:
    enable_print_capture()
    with contexts.in_flow(contexts.flow(log_prints=True)):
        print("100%", "done", sep="-")
    assert [r.getMessage() for r in records] == ["100%-done"]
    assert records[0].flow_run_id == "flow-run-1"  # type: ignore[attr-defined]


def test_no_capture_without_log_prints_or_outside_runs(
    contexts: Any, records: list[logging.LogRecord], capsys: pytest.CaptureFixture[str]
) -> None:
    enable_print_capture()
    print("outside")
    with (
        contexts.in_flow(contexts.flow(log_prints=True)),
        contexts.in_task(contexts.task(log_prints=False)),
    ):
        print("task without log_prints")
    assert records == []
    assert capsys.readouterr().out == "outside\ntask without log_prints\n"


def test_prints_to_other_files_are_not_captured(
    contexts: Any, records: list[logging.LogRecord]
) -> None:
    enable_print_capture()
    buf = io.StringIO()
    with contexts.in_task(contexts.task(log_prints=True)):
        print("to a file", file=buf)
    assert buf.getvalue() == "to a file\n"
    assert records == []


def test_capture_disabled_means_plain_print(
    contexts: Any, records: list[logging.LogRecord]
) -> None:
    with contexts.in_task(contexts.task(log_prints=True)):
        print("not captured")
    assert records == []
