"""``JobSuite``: the behaviour every :class:`~headwater.blocks.JobBlock` must have.

fsspec-style: a package's test class inherits the suite and provides fixtures
(blocks configured against a test service, with a short
``poll_interval_seconds``)::

    class TestWidgetJob(JobSuite):
        failure_reason = "bad input"            # quoted by the failed job's error

        @pytest.fixture
        def job(self) -> WidgetJob: ...         # a job that succeeds

        @pytest.fixture
        def failing_job(self) -> WidgetJob: ... # fails with failure_reason

        @pytest.fixture
        def unfinished_job(self) -> WidgetJob: ...  # still running after its timeout_seconds

A fixture the test service cannot provide may call ``pytest.skip(...)``. The
suite checks trigger -> wait -> fetch_result, that a failed run raises
:class:`~headwater.errors.JobFailedError` naming the reason, that waiting past
``timeout_seconds`` raises :class:`~headwater.errors.JobTimeoutError` and leaves
the run going, that polling settings are validated, and the async twins.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from headwater.blocks import JobBlock, JobRun
from headwater.errors import JobFailedError, JobTimeoutError

__all__ = ["JobSuite"]


class JobSuite:
    """Behavioural tests of a JobBlock; inherit and provide the fixtures."""

    failure_reason: ClassVar[str] = ""
    """Text the error of ``failing_job``'s run must quote."""

    @pytest.fixture
    def job(self) -> JobBlock:
        """A job whose runs succeed."""
        raise NotImplementedError("provide a 'job' fixture")

    @pytest.fixture
    def failing_job(self) -> JobBlock:
        """A job whose runs fail with ``failure_reason``."""
        raise NotImplementedError("provide a 'failing_job' fixture")

    @pytest.fixture
    def unfinished_job(self) -> JobBlock:
        """A job (with a short ``timeout_seconds``) whose runs outlast the timeout."""
        raise NotImplementedError("provide an 'unfinished_job' fixture")

    # -- the tests ----------------------------------------------------------------------

    def test_trigger_wait_and_fetch_result(self, job: JobBlock) -> None:
        run = job.trigger()
        assert isinstance(run, JobRun)
        run.wait_for_completion()
        assert run.state_of(run.describe()) in run.succeeded_states
        assert run.fetch_result() is not None

    def test_a_failed_run_raises_job_failed_naming_the_reason(self, failing_job: JobBlock) -> None:
        run = failing_job.trigger()
        with pytest.raises(JobFailedError) as info:
            run.wait_for_completion()
        assert self.failure_reason in str(info.value)
        assert info.value.code is not None
        assert run.state_of(run.describe()) in run.failed_states

    def test_waiting_past_the_timeout_raises_job_timeout_and_leaves_the_run(
        self, unfinished_job: JobBlock
    ) -> None:
        timeout = unfinished_job.timeout_seconds
        assert timeout is not None, "unfinished_job needs a (short) timeout_seconds"
        run = unfinished_job.trigger()
        started = time.monotonic()
        with pytest.raises(JobTimeoutError) as info:
            run.wait_for_completion()
        waited = time.monotonic() - started
        assert isinstance(info.value, TimeoutError)
        assert waited >= timeout
        assert waited < timeout + unfinished_job.poll_interval_seconds + 10
        state = run.state_of(run.describe())  # the run is still there...
        assert state not in run.failed_states  # ...and was not stopped by the timeout
        assert state in str(info.value)

    @pytest.mark.parametrize("value", [0, -1.5])
    def test_polling_settings_are_validated(self, job: JobBlock, value: float) -> None:
        interval, timeout = job.poll_interval_seconds, job.timeout_seconds
        with pytest.raises(ValidationError, match="poll_interval_seconds"):
            job.poll_interval_seconds = value
        with pytest.raises(ValidationError, match="timeout_seconds"):
            job.timeout_seconds = value
        assert (job.poll_interval_seconds, job.timeout_seconds) == (interval, timeout)

    def test_async_twins(self, job: JobBlock) -> None:
        async def main() -> Any:
            run = await job.atrigger()
            await run.await_for_completion()
            return await run.afetch_result()

        assert asyncio.run(main()) is not None
