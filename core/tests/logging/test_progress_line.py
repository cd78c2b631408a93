"""The live progress line: shown only on terminals, past a threshold, throttled."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from headwater import _progress
from headwater._progress import SHOW_AFTER, ProgressLine
from headwater.states import StateType


@pytest.fixture
def progress_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_PROGRESS", "true")
    reset_settings()


def terminal() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, width=100), buf


def test_counts_and_text() -> None:
    line = ProgressLine("etl")
    for _ in range(5):
        line.task_started()
    line.task_finished(StateType.COMPLETED)
    line.task_finished(StateType.COMPLETED)
    line.task_finished(StateType.FAILED)
    line.task_finished(StateType.CRASHED)
    assert line.text() == "flow 'etl': 2 completed, 1 running, 2 failed"
    line.task_finished(StateType.CANCELLED)
    assert line.text() == "flow 'etl': 2 completed, 0 running, 2 failed, 1 cancelled"


@pytest.mark.usefixtures("progress_on")
def test_shown_after_threshold_on_a_terminal() -> None:
    console, buf = terminal()
    line = ProgressLine("etl", console=console)
    assert line.enabled
    for _ in range(SHOW_AFTER - 1):
        line.task_started()
    assert buf.getvalue() == ""
    line.task_started()
    assert f"flow 'etl': 0 completed, {SHOW_AFTER} running, 0 failed" in buf.getvalue()
    for _ in range(SHOW_AFTER):
        line.task_finished(StateType.COMPLETED)
    line.close()
    assert f"flow 'etl': {SHOW_AFTER} completed, 0 running, 0 failed" in buf.getvalue()


@pytest.mark.usefixtures("progress_on")
def test_updates_are_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: clock[0])
    console, buf = terminal()
    line = ProgressLine("etl", console=console)
    for _ in range(SHOW_AFTER):
        line.task_started()
    first = buf.getvalue()
    assert first
    for _ in range(50):  # same instant: no redraw
        line.task_started()
    assert buf.getvalue() == first
    clock[0] += 1.0 / _progress.MAX_REFRESH_PER_SECOND + 0.001
    line.task_started()
    assert buf.getvalue() != first
    assert f"{SHOW_AFTER + 51} running" in buf.getvalue()
    line.close()


def test_hidden_when_progress_setting_is_off() -> None:
    console, buf = terminal()
    line = ProgressLine("etl", console=console)  # conftest sets HEADWATER_PROGRESS=false
    assert not line.enabled
    for _ in range(SHOW_AFTER * 2):
        line.task_started()
    line.close()
    assert buf.getvalue() == ""


@pytest.mark.usefixtures("progress_on")
def test_hidden_when_not_a_terminal() -> None:
    buf = io.StringIO()
    line = ProgressLine("etl", console=Console(file=buf, force_terminal=False))
    assert not line.enabled
    for _ in range(SHOW_AFTER * 2):
        line.task_started()
    line.close()
    assert buf.getvalue() == ""
    assert not ProgressLine("etl").enabled  # pytest's stderr is not a terminal


@pytest.mark.usefixtures("progress_on")
def test_nested_flow_runs_share_the_terminal_without_errors() -> None:
    console, buf = terminal()
    outer = ProgressLine("outer", console=console)
    inner = ProgressLine("inner", console=console)
    for _ in range(SHOW_AFTER):
        outer.task_started()
    for _ in range(SHOW_AFTER):
        inner.task_started()
    inner.close()
    outer.close()
    out = buf.getvalue()
    assert "flow 'outer'" in out
    assert "flow 'inner'" in out


def test_counts_are_exact_across_threads() -> None:
    import threading

    line = ProgressLine("etl")

    def work() -> None:
        for _ in range(2000):
            line.task_started()
            line.task_finished(StateType.COMPLETED)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert (line.started, line.completed, line.running) == (16000, 16000, 0)
