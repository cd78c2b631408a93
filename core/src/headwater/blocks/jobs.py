"""``JobBlock`` and ``JobRun``: jobs that run elsewhere (Batch, Glue, Cloud Run, dbt Cloud...).

A :class:`JobBlock` configures a job and :meth:`~JobBlock.trigger` starts one
run of it, returning a :class:`JobRun`. A run implements two things:
:meth:`~JobRun.describe` (the service's current description of the run) and
:meth:`~JobRun.fetch_result`; it names its final states in
``succeeded_states`` and ``failed_states`` and says how to read the state off
a description in :meth:`~JobRun.state_of`. :meth:`~JobRun.wait_for_completion`
is derived from those: it polls every ``poll_interval_seconds`` of the block
(:func:`~headwater.blocks.polling.poll_until_final`), logs each new state,
raises :class:`~headwater.errors.JobFailedError` for a failed run and
:class:`~headwater.errors.JobTimeoutError` after ``timeout_seconds`` (the run
is left alone: only the waiting stops).

Async twins are the sync names with an ``a`` prefix, run in a worker thread:
``JobBlock.atrigger()``, ``JobRun.await_for_completion()``,
``JobRun.afetch_result()``.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import Field

from headwater.blocks.core import Block
from headwater.blocks.polling import poll_until_final
from headwater.errors import JobFailedError, JobTimeoutError
from headwater.logging import current_logger

__all__ = ["DEFAULT_POLL_INTERVAL_SECONDS", "JobBlock", "JobRun"]

DEFAULT_POLL_INTERVAL_SECONDS = 10.0
"""How often a run is polled while waiting, unless its block says otherwise."""

DescriptionT = TypeVar("DescriptionT")


class JobRun(ABC, Generic[DescriptionT]):
    """One triggered run of a job: wait for it, then fetch its result.

    Subclasses implement :meth:`describe` and :meth:`fetch_result`, set
    ``succeeded_states`` and ``failed_states``, and override :meth:`state_of`
    unless :meth:`describe` returns the state itself. A run that keeps its
    block in ``self.job`` waits with the block's ``poll_interval_seconds`` and
    ``timeout_seconds``. Vendor packages raise their own subclasses of the
    core errors by setting ``job_failed_error`` and ``job_timeout_error``.
    """

    succeeded_states: ClassVar[frozenset[str]] = frozenset()
    """States in which the run has finished successfully."""
    failed_states: ClassVar[frozenset[str]] = frozenset()
    """States in which the run has finished without success."""
    job_failed_error: ClassVar[type[JobFailedError]] = JobFailedError
    job_timeout_error: ClassVar[type[JobTimeoutError]] = JobTimeoutError
    state_word: ClassVar[str] = "state"
    """What the service calls a state ("status", "state"), for messages."""

    job: JobBlock | None = None
    """The block that triggered the run (its polling settings apply)."""

    @abstractmethod
    def describe(self) -> DescriptionT:
        """The service's description of the run, now (one call to the service)."""

    @abstractmethod
    def fetch_result(self) -> Any:
        """What became of the run (its outputs, exit code, timings...)."""

    def state_of(self, description: DescriptionT) -> str:
        """The state named by a description; by default the description itself, as text."""
        return str(description)

    @property
    def label(self) -> str:
        """How messages and logs name the run."""
        return repr(self)

    @property
    def run_id(self) -> str | None:
        """The service's id of the run, kept as ``resource`` on errors."""
        return None

    @property
    def poll_interval_seconds(self) -> float:
        job = self.job
        return job.poll_interval_seconds if job is not None else DEFAULT_POLL_INTERVAL_SECONDS

    @property
    def timeout_seconds(self) -> float | None:
        job = self.job
        return job.timeout_seconds if job is not None else None

    @property
    def logger(self) -> logging.Logger | logging.LoggerAdapter[Any]:
        """The run logger inside a flow or task run, else the logger of the block's type."""
        job = self.job
        return job.logger if job is not None else current_logger("blocks.job-run")

    def failure_message(self, description: DescriptionT, state: str) -> str:
        """The message of the :class:`~headwater.errors.JobFailedError` for a failed run;
        override to quote the reason the service gives."""
        return f"{self.label} ended {state}"

    def wait_for_completion(self) -> None:
        """Poll until the run reaches a state of ``succeeded_states``.

        Raises ``job_failed_error`` (a :class:`~headwater.errors.JobFailedError`)
        when it reaches one of ``failed_states``, and ``job_timeout_error`` (a
        :class:`~headwater.errors.JobTimeoutError`) after ``timeout_seconds``;
        the run itself is left alone then.
        """
        timeout = self.timeout_seconds
        label = self.label

        def on_failure(description: DescriptionT, state: str) -> BaseException:
            message = self.failure_message(description, state)
            return self.job_failed_error(message, code=state, resource=self.run_id)

        def on_timeout(state: str) -> BaseException:
            return self.job_timeout_error(
                f"{label} did not finish within {timeout:g} s "
                f"(last {self.state_word} {state}); it may still be running",
                resource=self.run_id,
            )

        poll_until_final(
            self.describe,
            self.state_of,
            succeeded=self.succeeded_states,
            failed=self.failed_states,
            on_failure=on_failure,
            on_timeout=on_timeout,
            interval=self.poll_interval_seconds,
            timeout=timeout,
            label=label,
            logger=self.logger,
        )

    async def await_for_completion(self) -> None:
        """:meth:`wait_for_completion` in a worker thread."""
        await asyncio.to_thread(self.wait_for_completion)

    async def afetch_result(self) -> Any:
        """:meth:`fetch_result` in a worker thread."""
        return await asyncio.to_thread(self.fetch_result)


class JobBlock(Block):
    """A job that runs elsewhere: ``trigger()`` starts it and returns a :class:`JobRun`.

    ``poll_interval_seconds`` and ``timeout_seconds`` say how its runs are waited for.
    """

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"job"})

    poll_interval_seconds: float = Field(
        default=DEFAULT_POLL_INTERVAL_SECONDS,
        gt=0,
        description="Seconds between two status checks while waiting.",
    )
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="Stop waiting after this many seconds (default: never)."
    )

    @abstractmethod
    def trigger(self) -> JobRun[Any]:
        """Start one run of the job (without waiting for it)."""

    async def atrigger(self) -> JobRun[Any]:
        """:meth:`trigger` in a worker thread."""
        return await asyncio.to_thread(self.trigger)
