"""``BatchJob``: submit an AWS Batch job and wait for it; the :func:`batch_submit` task.

:meth:`BatchJob.trigger` submits the job and returns a :class:`BatchJobRun`,
whose :meth:`~BatchJobRun.wait_for_completion` polls ``DescribeJobs`` every
``poll_interval_seconds`` until the job succeeds. A failed job raises
:class:`~headwater_aws.errors.JobFailedError` with the reason Batch gives (and
the container's reason and exit code when there are any); waiting longer than
``timeout_seconds`` raises :class:`~headwater_aws.errors.JobTimeoutError` and
leaves the job running.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from headwater import task
from headwater.blocks import JobBlock, JobRun
from headwater_aws.credentials import AwsCredentials
from headwater_aws.errors import (
    JobFailedError,
    JobTimeoutError,
    ResourceNotFoundError,
    translate_errors,
)

__all__ = ["BatchJob", "BatchJobRun", "batch_run", "batch_submit"]

_RESERVED_SUBMIT_KEYS = frozenset(
    {"jobName", "jobQueue", "jobDefinition", "parameters", "containerOverrides"}
)


def _timestamp(millis: Any) -> datetime | None:
    """Batch's epoch milliseconds as an aware UTC datetime."""
    if not isinstance(millis, int | float) or millis <= 0:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _container_details(job: dict[str, Any]) -> tuple[str | None, int | None]:
    """The container's stop reason and exit code: from the job, else its last attempt."""
    sources = [job.get("container") or {}]
    attempts = job.get("attempts") or []
    if attempts:
        sources.append(attempts[-1].get("container") or {})
    reason: str | None = None
    exit_code: int | None = None
    for source in sources:
        reason = reason or source.get("reason") or None
        if exit_code is None and isinstance(source.get("exitCode"), int):
            exit_code = source["exitCode"]
    return reason, exit_code


class BatchJob(JobBlock):
    """An AWS Batch job: the queue, job definition and overrides to submit it with.

    ``trigger()`` submits one job and returns a :class:`BatchJobRun` to wait
    for. ``parameters`` fill the ``Ref::`` placeholders of the job definition's
    command; ``container_overrides`` and ``submit_kwargs`` are passed to
    ``SubmitJob`` as they are (AWS's camelCase names).

    Example:
        ```python
        from headwater_aws import BatchJob

        job = BatchJob.load("BLOCK_NAME")
        run = job.trigger()
        run.wait_for_completion()
        print(run.fetch_result()["exit_code"])
        ```
    """

    _block_schema_version = 1

    job_name: str = Field(min_length=1, description="Name given to each submitted job.")
    job_queue: str = Field(min_length=1, description="Name or ARN of the job queue.")
    job_definition: str = Field(
        min_length=1, description="Job definition: name, name:revision or ARN."
    )
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials, description="How to reach AWS."
    )
    parameters: dict[str, str] = Field(
        default_factory=dict, description="Values for the job definition's Ref:: placeholders."
    )
    container_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description='SubmitJob containerOverrides, e.g. {"command": [...], "environment": [...]}.',
    )
    submit_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Other SubmitJob arguments (timeout, retryStrategy, tags, shareIdentifier...).",
    )

    @field_validator("submit_kwargs")
    @classmethod
    def _check_submit_kwargs(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(_RESERVED_SUBMIT_KEYS & set(value))
        if clash:
            raise ValueError(
                f"submit_kwargs may not set {', '.join(clash)}: use the block's own fields "
                "(job_name, job_queue, job_definition, parameters, container_overrides)"
            )
        return value

    def _label(self) -> str:
        return (
            f"Batch job {self.job_name!r} (queue {self.job_queue!r}, "
            f"definition {self.job_definition!r})"
        )

    def trigger(self) -> BatchJobRun:
        """Submit the job; a :class:`BatchJobRun` to wait for (submitting does not wait).

        A queue or job definition that does not exist raises
        :class:`~headwater_aws.ResourceNotFoundError` naming it.
        """
        kwargs: dict[str, Any] = {
            "jobName": self.job_name,
            "jobQueue": self.job_queue,
            "jobDefinition": self.job_definition,
            **self.submit_kwargs,
        }
        if self.parameters:
            kwargs["parameters"] = dict(self.parameters)
        if self.container_overrides:
            kwargs["containerOverrides"] = dict(self.container_overrides)
        label = self._label()
        with translate_errors("submit", label):
            # a missing queue or definition comes back as ResourceNotFoundError
            response = self.aws_credentials.get_batch_client().submit_job(**kwargs)
        run = BatchJobRun(self, job_id=response["jobId"], job_name=response["jobName"])
        self.logger.info("Submitted %s as job id %s", label, run.job_id)
        return run


class BatchJobRun(JobRun[dict[str, Any]]):
    """One submitted Batch job: wait for it (until SUCCEEDED) and read its outcome.

    :meth:`~headwater.blocks.JobRun.wait_for_completion` raises
    :class:`~headwater_aws.JobFailedError` when the job FAILED (quoting Batch's
    reason, the container's reason and exit code), and
    :class:`~headwater_aws.JobTimeoutError` (the job keeps running) after the
    block's ``timeout_seconds``.
    """

    succeeded_states: ClassVar[frozenset[str]] = frozenset({"SUCCEEDED"})
    failed_states: ClassVar[frozenset[str]] = frozenset({"FAILED"})
    job_failed_error = JobFailedError
    job_timeout_error = JobTimeoutError
    state_word = "status"

    def __init__(self, job: BatchJob, *, job_id: str, job_name: str) -> None:
        self.job: BatchJob = job
        self.job_id = job_id
        self.job_name = job_name

    def __repr__(self) -> str:
        return f"BatchJobRun(job_id={self.job_id!r}, job_name={self.job_name!r})"

    @property
    def label(self) -> str:
        return f"Batch job {self.job_name!r} (id {self.job_id})"

    @property
    def run_id(self) -> str:
        return self.job_id

    def describe(self) -> dict[str, Any]:
        """The job as ``DescribeJobs`` reports it now (AWS's own dictionary)."""
        label = self.label
        with translate_errors("describe", label):
            jobs = self.job.aws_credentials.get_batch_client().describe_jobs(jobs=[self.job_id])
        found = jobs.get("jobs") or []
        if not found:
            raise ResourceNotFoundError(
                f"describe {label}: Batch knows no job with this id", resource=label
            )
        return dict(found[0])

    def state_of(self, description: dict[str, Any]) -> str:
        return str(description.get("status"))

    def failure_message(self, description: dict[str, Any], state: str) -> str:
        reason = description.get("statusReason") or "Batch gave no reason"
        message = f"{self.label} failed: {reason}"
        container_reason, exit_code = _container_details(description)
        if container_reason:
            message += f"; container: {container_reason}"
        if exit_code is not None:
            message += f"; exit code {exit_code}"
        return message

    def fetch_result(self) -> dict[str, Any]:
        """What became of the job: ``job_id``, ``job_name``, ``status``, ``status_reason``,
        ``exit_code``, ``log_stream_name``, ``started_at`` and ``stopped_at`` (UTC datetimes)."""
        job = self.describe()
        _, exit_code = _container_details(job)
        log_stream = (job.get("container") or {}).get("logStreamName")
        attempts = job.get("attempts") or []
        if not log_stream and attempts:
            log_stream = (attempts[-1].get("container") or {}).get("logStreamName")
        return {
            "job_id": job.get("jobId", self.job_id),
            "job_name": job.get("jobName", self.job_name),
            "status": job.get("status"),
            "status_reason": job.get("statusReason"),
            "exit_code": exit_code,
            "log_stream_name": log_stream,
            "started_at": _timestamp(job.get("startedAt")),
            "stopped_at": _timestamp(job.get("stoppedAt")),
        }


def _block_from_kwargs(
    job_name: str,
    job_queue: str,
    job_definition: str,
    aws_credentials: AwsCredentials,
    batch_kwargs: dict[str, Any],
    **settings: Any,
) -> BatchJob:
    extra = dict(batch_kwargs)
    parameters = extra.pop("parameters", None) or {}
    overrides = extra.pop("containerOverrides", None) or {}
    return BatchJob(
        job_name=job_name,
        job_queue=job_queue,
        job_definition=job_definition,
        aws_credentials=aws_credentials,
        parameters=parameters,
        container_overrides=overrides,
        submit_kwargs=extra,
        **settings,
    )


@task
def batch_submit(
    job_name: str,
    job_queue: str,
    job_definition: str,
    aws_credentials: AwsCredentials,
    **batch_kwargs: Any,
) -> str:
    """Submit a Batch job and return its job id without waiting.

    ``batch_kwargs`` are more ``SubmitJob`` arguments in AWS's names
    (``parameters``, ``containerOverrides``, ``timeout``, ``tags``...).
    """
    job = _block_from_kwargs(job_name, job_queue, job_definition, aws_credentials, batch_kwargs)
    return job.trigger().job_id


@task
def batch_run(
    job_name: str,
    job_queue: str,
    job_definition: str,
    aws_credentials: AwsCredentials,
    *,
    poll_interval_seconds: float = 10.0,
    timeout_seconds: float | None = None,
    **batch_kwargs: Any,
) -> dict[str, Any]:
    """Submit a Batch job, wait until it succeeds and return its outcome
    (:meth:`BatchJobRun.fetch_result`); a failed job raises JobFailedError."""
    job = _block_from_kwargs(
        job_name,
        job_queue,
        job_definition,
        aws_credentials,
        batch_kwargs,
        poll_interval_seconds=poll_interval_seconds,
        timeout_seconds=timeout_seconds,
    )
    run = job.trigger()
    run.wait_for_completion()
    return run.fetch_result()
