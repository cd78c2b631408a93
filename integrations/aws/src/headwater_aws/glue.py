"""``GlueJob``: start an AWS Glue job run and wait for it; the :func:`glue_job_run` task.

:meth:`GlueJob.trigger` starts a run (``StartJobRun``) and returns a
:class:`GlueJobRun`, whose :meth:`~GlueJobRun.wait_for_completion` polls
``GetJobRun`` every ``poll_interval_seconds`` until the run SUCCEEDED. A run
that ends FAILED, ERROR, TIMEOUT, STOPPED or EXPIRED raises
:class:`~headwater_aws.errors.JobFailedError` with Glue's error message;
waiting longer than ``timeout_seconds`` raises
:class:`~headwater_aws.errors.JobTimeoutError` and leaves the run going.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from headwater import task
from headwater.blocks import JobBlock, JobRun
from headwater_aws.credentials import AwsCredentials
from headwater_aws.errors import JobFailedError, JobTimeoutError, translate_errors

__all__ = ["GlueJob", "GlueJobRun", "glue_job_run"]

FAILED_STATES = frozenset({"FAILED", "ERROR", "TIMEOUT", "STOPPED", "EXPIRED"})
"""Glue run states that end a run without success."""

_RESERVED_RUN_KEYS = frozenset({"JobName", "Arguments"})


class GlueJob(JobBlock):
    """An AWS Glue job (created beforehand in Glue) and the arguments to run it with.

    ``arguments`` are the run's job arguments (``{"--day": "2024-01-31"}``),
    merged by Glue over the job's default arguments; ``job_run_kwargs`` are
    other ``StartJobRun`` options in AWS's names (``WorkerType``,
    ``NumberOfWorkers``, ``Timeout``...).

    Example:
        ```python
        from headwater_aws import GlueJob

        job = GlueJob.load("BLOCK_NAME")
        run = job.trigger()
        run.wait_for_completion()
        print(run.fetch_result()["state"])
        ```
    """

    _block_schema_version = 1

    job_name: str = Field(min_length=1, description="Name of the Glue job to run.")
    arguments: dict[str, str] = Field(
        default_factory=dict, description='Job arguments for the run, e.g. {"--day": "2024-01-31"}.'
    )
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials, description="How to reach AWS."
    )
    job_run_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Other StartJobRun options (WorkerType, NumberOfWorkers, Timeout...).",
    )

    @field_validator("job_run_kwargs")
    @classmethod
    def _check_job_run_kwargs(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(_RESERVED_RUN_KEYS & set(value))
        if clash:
            raise ValueError(
                f"job_run_kwargs may not set {', '.join(clash)}: use job_name and arguments"
            )
        return value

    def trigger(self) -> GlueJobRun:
        """Start a run of the job; a :class:`GlueJobRun` to wait for.

        A job that does not exist raises :class:`~headwater_aws.ResourceNotFoundError`.
        """
        kwargs: dict[str, Any] = {"JobName": self.job_name, **self.job_run_kwargs}
        if self.arguments:
            kwargs["Arguments"] = dict(self.arguments)
        label = f"Glue job {self.job_name!r}"
        with translate_errors("start a run of", label):
            response = self.aws_credentials.get_glue_client().start_job_run(**kwargs)
        run = GlueJobRun(self, job_run_id=response["JobRunId"])
        self.logger.info("Started %s: run %s", label, run.job_run_id)
        return run


class GlueJobRun(JobRun[dict[str, Any]]):
    """One run of a Glue job: wait for it (until SUCCEEDED) and read its outcome.

    :meth:`~headwater.blocks.JobRun.wait_for_completion` raises
    :class:`~headwater_aws.JobFailedError` when the run ends in another final
    state (quoting Glue's error message), :class:`~headwater_aws.JobTimeoutError`
    (the run goes on) after the block's ``timeout_seconds``.
    """

    succeeded_states: ClassVar[frozenset[str]] = frozenset({"SUCCEEDED"})
    failed_states: ClassVar[frozenset[str]] = FAILED_STATES
    job_failed_error = JobFailedError
    job_timeout_error = JobTimeoutError

    def __init__(self, job: GlueJob, *, job_run_id: str) -> None:
        self.job: GlueJob = job
        self.job_run_id = job_run_id

    def __repr__(self) -> str:
        return f"GlueJobRun(job_name={self.job.job_name!r}, job_run_id={self.job_run_id!r})"

    @property
    def label(self) -> str:
        return f"Glue job {self.job.job_name!r} run {self.job_run_id}"

    @property
    def run_id(self) -> str:
        return self.job_run_id

    def describe(self) -> dict[str, Any]:
        """The run as ``GetJobRun`` reports it now (AWS's own dictionary)."""
        with translate_errors("read", self.label):
            response = self.job.aws_credentials.get_glue_client().get_job_run(
                JobName=self.job.job_name, RunId=self.job_run_id
            )
        return dict(response["JobRun"])

    def state_of(self, description: dict[str, Any]) -> str:
        return str(description.get("JobRunState"))

    def failure_message(self, description: dict[str, Any], state: str) -> str:
        error = description.get("ErrorMessage") or "Glue gave no error message"
        return f"{self.label} ended {state}: {error}"

    def fetch_result(self) -> dict[str, Any]:
        """What became of the run: ``job_name``, ``job_run_id``, ``state``, ``started_on``,
        ``completed_on``, ``execution_time`` (seconds), ``error_message`` and ``arguments``."""
        run = self.describe()
        return {
            "job_name": run.get("JobName", self.job.job_name),
            "job_run_id": run.get("Id", self.job_run_id),
            "state": run.get("JobRunState"),
            "started_on": run.get("StartedOn"),
            "completed_on": run.get("CompletedOn"),
            "execution_time": run.get("ExecutionTime"),
            "error_message": run.get("ErrorMessage"),
            "arguments": dict(run.get("Arguments") or {}),
        }


@task
def glue_job_run(
    job_name: str,
    aws_credentials: AwsCredentials,
    arguments: dict[str, str] | None = None,
    *,
    poll_interval_seconds: float = 10.0,
    timeout_seconds: float | None = None,
) -> dict[str, Any]:
    """Run a Glue job, wait until it succeeds and return the run's outcome
    (:meth:`GlueJobRun.fetch_result`); a failed run raises JobFailedError."""
    job = GlueJob(
        job_name=job_name,
        arguments=arguments or {},
        aws_credentials=aws_credentials,
        poll_interval_seconds=poll_interval_seconds,
        timeout_seconds=timeout_seconds,
    )
    run = job.trigger()
    run.wait_for_completion()
    return run.fetch_result()
