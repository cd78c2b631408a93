"""JobBlock and JobRun: the derived wait_for_completion, with a job whose state changes over time."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, ClassVar

import pytest
from pydantic import Field, ValidationError

from headwater.blocks import JobBlock, JobRun, get_block_class, interfaces
from headwater.errors import JobFailedError, JobTimeoutError
from headwater.testing import JobSuite


class ClockJob(JobBlock):
    """A job that walks through ``steps``, one every ``step_seconds`` (a test block)."""

    steps: list[str] = Field(default_factory=lambda: ["QUEUED", "RUNNING", "DONE"])
    step_seconds: float = 0.05
    reason: str = "disk full"

    def trigger(self) -> ClockJobRun:
        return ClockJobRun(self)


class ClockJobRun(JobRun[dict[str, Any]]):
    succeeded_states: ClassVar[frozenset[str]] = frozenset({"DONE"})
    failed_states: ClassVar[frozenset[str]] = frozenset({"BROKEN", "KILLED"})

    def __init__(self, job: ClockJob) -> None:
        self.job: ClockJob = job
        self.started = time.monotonic()
        self.describe_calls = 0

    def describe(self) -> dict[str, Any]:
        self.describe_calls += 1
        elapsed = time.monotonic() - self.started
        steps = self.job.steps
        state = steps[min(int(elapsed / self.job.step_seconds), len(steps) - 1)]
        return {"state": state, "reason": self.job.reason if state == "BROKEN" else None}

    def state_of(self, description: dict[str, Any]) -> str:
        return str(description["state"])

    def failure_message(self, description: dict[str, Any], state: str) -> str:
        return f"clock job {state}: {description['reason']}"

    @property
    def run_id(self) -> str:
        return "run-1"

    def fetch_result(self) -> str:
        return self.state_of(self.describe())


class StateOnlyRun(JobRun[str]):
    """describe() returns the state itself; no block, so the defaults apply."""

    succeeded_states: ClassVar[frozenset[str]] = frozenset({"ok"})

    def __init__(self) -> None:
        self.states = iter(["pending", "ok"])

    def describe(self) -> str:
        return next(self.states)

    def fetch_result(self) -> None:
        return None


def test_the_interfaces_live_in_jobs_and_are_re_exported() -> None:
    assert interfaces.JobBlock is JobBlock
    assert interfaces.JobRun is JobRun
    assert get_block_class("clock-job") is ClockJob
    assert {"poll_interval_seconds", "timeout_seconds"} <= set(ClockJob.model_fields)
    assert ClockJob.get_block_capabilities() >= {"job"}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_trigger_wait_and_fetch_result() -> None:
    job = ClockJob(poll_interval_seconds=0.01, timeout_seconds=5)
    run = job.trigger()
    # A handler on the block's logger itself: the headwater loggers may not propagate
    # to the root logger, where caplog listens (on older pytest versions).
    logger = logging.getLogger("headwater.blocks.clock-job")
    collect, level = _Collect(), logger.level
    logger.addHandler(collect)
    logger.setLevel(logging.INFO)
    try:
        run.wait_for_completion()
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
    assert run.fetch_result() == "DONE"
    assert run.describe_calls > 3  # it really polled while the job progressed
    logged = collect.messages
    label = repr(run)
    assert logged == [f"{label} is QUEUED", f"{label} is RUNNING", f"{label} is DONE"]


def test_a_failed_run_raises_job_failed_naming_the_reason() -> None:
    job = ClockJob(steps=["RUNNING", "BROKEN"], poll_interval_seconds=0.01, timeout_seconds=5)
    with pytest.raises(JobFailedError) as info:
        job.trigger().wait_for_completion()
    assert str(info.value) == "clock job BROKEN: disk full"
    assert info.value.code == "BROKEN"
    assert info.value.resource == "run-1"


def test_the_default_failure_message_names_the_state() -> None:
    class Plain(ClockJobRun):
        failure_message = JobRun.failure_message  # type: ignore[assignment]

    run = Plain(ClockJob(steps=["KILLED"], poll_interval_seconds=0.01))
    with pytest.raises(JobFailedError, match=r"ended KILLED$"):
        run.wait_for_completion()


def test_timeout_raises_job_timeout_and_leaves_the_job_alone() -> None:
    job = ClockJob(step_seconds=0.3, poll_interval_seconds=0.02, timeout_seconds=0.1)
    run = job.trigger()
    started = time.monotonic()
    with pytest.raises(JobTimeoutError) as info:
        run.wait_for_completion()
    assert time.monotonic() - started < 0.3
    assert isinstance(info.value, TimeoutError)
    assert "did not finish within 0.1 s (last state QUEUED)" in str(info.value)
    assert info.value.resource == "run-1"
    time.sleep(0.7)
    assert run.fetch_result() == "DONE"  # the job went on without us


def test_poll_interval_and_timeout_are_validated() -> None:
    with pytest.raises(ValidationError, match="poll_interval_seconds"):
        ClockJob(poll_interval_seconds=0)
    with pytest.raises(ValidationError, match="timeout_seconds"):
        ClockJob(timeout_seconds=-1)
    assert ClockJob().poll_interval_seconds == 10.0
    assert ClockJob().timeout_seconds is None


def test_a_run_without_a_block_uses_the_defaults() -> None:
    run = StateOnlyRun()
    assert (run.poll_interval_seconds, run.timeout_seconds) == (10.0, None)
    assert run.logger.name == "headwater.blocks.job-run"  # type: ignore[union-attr]


def test_describe_may_return_the_state_itself() -> None:
    class Quick(StateOnlyRun):
        poll_interval_seconds = 0.01  # type: ignore[assignment]

    run = Quick()
    run.wait_for_completion()
    with pytest.raises(StopIteration):
        run.describe()  # "pending", then "ok": both were read


def test_async_twins() -> None:
    job = ClockJob(poll_interval_seconds=0.01, timeout_seconds=5)

    async def main() -> str:
        run = await job.atrigger()
        await run.await_for_completion()
        return str(await run.afetch_result())

    assert asyncio.run(main()) == "DONE"


def test_the_logger_is_the_run_logger_inside_a_flow() -> None:
    from headwater import flow

    job = ClockJob()
    seen: list[Any] = []

    @flow
    def uses_it() -> None:
        seen.append(job.logger)
        seen.append(job.trigger().logger)

    uses_it()
    outside = job.logger
    assert isinstance(outside, logging.Logger)
    assert outside.name == "headwater.blocks.clock-job"
    assert all(getattr(logger, "extra", {}).get("run_kind") == "flow" for logger in seen)
    assert threading.current_thread() is threading.main_thread()


# -- the JobSuite, run against ClockJob ---------------------------------------------------


class TestClockJob(JobSuite):
    failure_reason = "disk full"

    @pytest.fixture
    def job(self) -> ClockJob:
        return ClockJob(poll_interval_seconds=0.01, timeout_seconds=5)

    @pytest.fixture
    def failing_job(self) -> ClockJob:
        return ClockJob(steps=["RUNNING", "BROKEN"], poll_interval_seconds=0.01)

    @pytest.fixture
    def unfinished_job(self) -> ClockJob:
        return ClockJob(step_seconds=5, poll_interval_seconds=0.02, timeout_seconds=0.1)


class StoppingRun(ClockJobRun):
    """A defective run that kills its job when waiting times out."""

    def wait_for_completion(self) -> None:
        try:
            super().wait_for_completion()
        except JobTimeoutError:
            self.job.steps = ["KILLED"]
            raise


def test_the_suite_catches_a_run_that_stops_its_job_on_timeout() -> None:
    class StoppingJob(ClockJob):
        """A clock job with a defective run (a test block)."""

        def trigger(self) -> ClockJobRun:
            return StoppingRun(self)

    job = StoppingJob(step_seconds=5, poll_interval_seconds=0.02, timeout_seconds=0.1)
    with pytest.raises(AssertionError):
        TestClockJob().test_waiting_past_the_timeout_raises_job_timeout_and_leaves_the_run(job)
