"""poll_until_final: the wait loop of job blocks."""

from __future__ import annotations

import logging

import pytest

from headwater.blocks.polling import poll_until_final


class Job:
    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.calls = 0

    def describe(self) -> dict[str, str]:
        self.calls += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"state": state}


def _poll(job: Job, **kw: object) -> dict[str, str]:
    options: dict[str, object] = {
        "succeeded": {"DONE"},
        "failed": {"FAILED", "STOPPED"},
        "on_failure": lambda d, s: RuntimeError(f"ended {s}"),
        "on_timeout": lambda s: TimeoutError(f"still {s}"),
        "interval": 0.001,
        **kw,
    }
    return poll_until_final(job.describe, lambda d: d["state"], **options)  # type: ignore[arg-type]


def test_returns_the_description_once_succeeded_and_logs_each_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = Job("QUEUED", "QUEUED", "RUNNING", "DONE")
    naps: list[float] = []
    logger = logging.getLogger("test.polling")
    with caplog.at_level(logging.INFO, logger="test.polling"):
        assert _poll(job, sleep=naps.append, logger=logger, label="job 7") == {"state": "DONE"}
    assert job.calls == 4
    assert naps == [0.001, 0.001, 0.001]
    assert [r.getMessage() for r in caplog.records] == [
        "job 7 is QUEUED",
        "job 7 is RUNNING",
        "job 7 is DONE",
    ]


def test_a_failed_state_raises_what_the_caller_builds() -> None:
    with pytest.raises(RuntimeError, match="ended STOPPED"):
        _poll(Job("RUNNING", "STOPPED"))


def test_timeout_raises_with_the_last_state_and_never_sleeps_past_it() -> None:
    naps: list[float] = []
    with pytest.raises(TimeoutError, match="still RUNNING"):
        _poll(Job("RUNNING"), timeout=0.05, interval=10.0, sleep=lambda s: naps.append(s))
    assert naps
    assert all(n <= 0.05 for n in naps)


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval"):
        _poll(Job("DONE"), interval=0)
