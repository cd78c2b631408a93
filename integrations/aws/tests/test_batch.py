"""BatchJob, BatchJobRun, batch_submit and batch_run against the moto server.

moto's Docker-less Batch marks a job SUCCEEDED as soon as it is submitted (or
FAILED, without a reason, when ``MOTO_SIMPLE_BATCH_FAIL_AFTER`` is set in the
server's process, which is this one). Jobs that stay unfinished for a while
need moto's Docker-backed Batch (the ``docker_batch`` fixture): there a job
walks through SUBMITTED, PENDING... on a thread and, there being no Docker
engine, ends FAILED; terminating it first gives FAILED with our reason, and
holding the ``batch::job`` state machine keeps it SUBMITTED.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from headwater import flow, unmapped
from headwater.testing import JobSuite
from headwater.testing.blocks import assert_block_conforms
from headwater_aws import (
    AccessDeniedError,
    AwsCredentials,
    BatchJob,
    BatchJobRun,
    JobFailedError,
    JobTimeoutError,
    ResourceNotFoundError,
    batch_submit,
)
from headwater_aws.batch import batch_run

REGION = "us-east-1"
QUEUE = "etl-queue"
DEFINITION = "etl-def"


def _post(url: str, body: object) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def docker_batch(aws_env: str) -> None:
    """Use moto's Docker-backed Batch (reset to the simple one before the next test)."""
    _post(f"{aws_env}/moto-api/config", {"batch": {"use_docker": True}})


@pytest.fixture
def hold_jobs(aws_env: str) -> Iterator[None]:
    """Keep Batch jobs in their current state (moto's state manager), released afterwards."""
    _post(
        f"{aws_env}/moto-api/state-manager/set-transition",
        {"model_name": "batch::job", "transition": {"progression": "manual", "times": 100000}},
    )
    try:
        yield
    finally:
        _post(f"{aws_env}/moto-api/state-manager/unset-transition", {"model_name": "batch::job"})


@pytest.fixture
def batch_setup(aws_credentials: AwsCredentials) -> None:
    """An unmanaged compute environment, the queue QUEUE and the definition DEFINITION."""
    iam = aws_credentials.get_client("iam")
    role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client = aws_credentials.get_batch_client()
    environment = client.create_compute_environment(
        computeEnvironmentName="etl-env", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    client.create_job_queue(
        jobQueueName=QUEUE,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )
    client.register_job_definition(
        jobDefinitionName=DEFINITION,
        type="container",
        containerProperties={
            "image": "busybox",
            "vcpus": 1,
            "memory": 128,
            "command": ["echo", "Ref::message"],
        },
    )


def make_job(aws_credentials: AwsCredentials, **fields: Any) -> BatchJob:
    settings: dict[str, Any] = {
        "job_name": "nightly",
        "job_queue": QUEUE,
        "job_definition": DEFINITION,
        "aws_credentials": aws_credentials,
        "poll_interval_seconds": 0.05,
        **fields,
    }
    return BatchJob(**settings)


def test_trigger_wait_and_fetch_result(batch_setup: None, aws_credentials: AwsCredentials) -> None:
    run = make_job(aws_credentials).trigger()
    assert isinstance(run, BatchJobRun)
    assert run.job_name == "nightly"
    run.wait_for_completion()
    result = run.fetch_result()
    assert result["job_id"] == run.job_id
    assert result["job_name"] == "nightly"
    assert result["status"] == "SUCCEEDED"
    assert result["status_reason"] is None
    assert result["log_stream_name"] == f"{DEFINITION}/default/{run.job_id}"
    assert isinstance(result["started_at"], datetime)
    assert isinstance(result["stopped_at"], datetime)
    assert result["started_at"].tzinfo is not None
    assert result["started_at"] <= result["stopped_at"]


def test_parameters_overrides_and_submit_kwargs_reach_batch(
    batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    job = make_job(
        aws_credentials,
        parameters={"message": "hello"},
        container_overrides={"environment": [{"name": "STAGE", "value": "prod"}]},
        submit_kwargs={"tags": {"team": "data"}},
    )
    described = job.trigger().describe()
    assert described["parameters"] == {"message": "hello"}
    assert {"name": "STAGE", "value": "prod"} in described["container"]["environment"]
    assert described["tags"] == {"team": "data"}


def test_failed_job_raises_job_failed_with_the_reason(
    docker_batch: None, batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    run = make_job(aws_credentials, timeout_seconds=30).trigger()
    aws_credentials.get_batch_client().terminate_job(
        jobId=run.job_id, reason="Terminated by the on-call: bad input file"
    )
    with pytest.raises(JobFailedError) as info:
        run.wait_for_completion()
    message = str(info.value)
    assert "Terminated by the on-call: bad input file" in message
    assert f"Batch job 'nightly' (id {run.job_id}) failed" in message
    assert info.value.resource == run.job_id
    assert run.fetch_result()["status"] == "FAILED"


def test_failed_job_without_a_reason_says_so(
    batch_setup: None, aws_credentials: AwsCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")  # read by the in-process server
    run = make_job(aws_credentials).trigger()
    with pytest.raises(JobFailedError, match="failed: Batch gave no reason"):
        run.wait_for_completion()


def test_waiting_past_the_timeout_raises_job_timeout_naming_the_job_id(
    docker_batch: None, hold_jobs: None, batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    run = make_job(aws_credentials, timeout_seconds=0.3).trigger()
    with pytest.raises(JobTimeoutError) as info:
        run.wait_for_completion()
    assert isinstance(info.value, TimeoutError)
    assert run.job_id in str(info.value)
    assert "last status SUBMITTED" in str(info.value)
    assert run.fetch_result()["status"] == "SUBMITTED"  # still there: we only stopped waiting


def test_missing_queue_or_definition_raises_resource_not_found_naming_it(
    batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    with pytest.raises(ResourceNotFoundError, match="no-such-queue") as info:
        make_job(aws_credentials, job_queue="no-such-queue").trigger()
    assert "does not exist" in str(info.value)
    with pytest.raises(ResourceNotFoundError, match="Job definition no-such-def does not exist"):
        make_job(aws_credentials, job_definition="no-such-def").trigger()


def test_unknown_job_id_raises_resource_not_found(
    batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    run = BatchJobRun(make_job(aws_credentials), job_id="no-such-id", job_name="nightly")
    with pytest.raises(ResourceNotFoundError, match="no-such-id"):
        run.wait_for_completion()


def test_bad_fields_are_refused(aws_credentials: AwsCredentials) -> None:
    with pytest.raises(ValidationError, match="poll_interval_seconds"):
        make_job(aws_credentials, poll_interval_seconds=0)
    with pytest.raises(ValidationError, match="timeout_seconds"):
        make_job(aws_credentials, timeout_seconds=-1)
    with pytest.raises(ValidationError, match="submit_kwargs may not set jobQueue"):
        make_job(aws_credentials, submit_kwargs={"jobQueue": "other"})
    with pytest.raises(ValidationError, match="job_queue"):
        make_job(aws_credentials, job_queue="")


def test_unknown_access_key_raises_access_denied(iam_enforced: None, moto_server: str) -> None:
    stranger = AwsCredentials(
        aws_access_key_id="AKIANOSUCHKEY0000000",
        aws_secret_access_key="not-a-real-secret-key",
        region_name=REGION,
        aws_client_parameters={"endpoint_url": moto_server},
    )
    with pytest.raises(AccessDeniedError, match="Batch job 'nightly'") as info:
        make_job(stranger).trigger()
    assert "not-a-real-secret-key" not in str(info.value)


def test_batch_submit_with_submit_and_map_in_a_flow(
    batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    @flow
    def pipeline() -> list[str]:
        first = batch_submit.submit(
            "first", QUEUE, DEFINITION, aws_credentials, parameters={"message": "one"}
        )
        others = batch_submit.map(["second", "third"], QUEUE, DEFINITION, unmapped(aws_credentials))
        return [first.result(), *(f.result() for f in others)]

    job_ids = pipeline()
    described = aws_credentials.get_batch_client().describe_jobs(jobs=job_ids)["jobs"]
    by_id = {job["jobId"]: job for job in described}
    assert [by_id[i]["jobName"] for i in job_ids] == ["first", "second", "third"]
    assert by_id[job_ids[0]]["parameters"] == {"message": "one"}


def test_batch_run_waits_and_returns_the_result_in_a_flow(
    batch_setup: None, aws_credentials: AwsCredentials
) -> None:
    @flow
    def pipeline() -> dict[str, Any]:
        return batch_run(
            "waited",
            QUEUE,
            DEFINITION,
            aws_credentials,
            poll_interval_seconds=0.05,
            tags={"a": "b"},
        )

    result = pipeline()
    assert (result["job_name"], result["status"]) == ("waited", "SUCCEEDED")


def test_batch_run_raises_job_failed_in_a_flow(
    batch_setup: None, aws_credentials: AwsCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")

    @flow
    def pipeline() -> dict[str, Any]:
        return batch_run("doomed", QUEUE, DEFINITION, aws_credentials, poll_interval_seconds=0.05)

    with pytest.raises(JobFailedError, match="'doomed'"):
        pipeline()


def test_block_conforms(headwater_home: object) -> None:
    example = BatchJob(
        job_name="nightly",
        job_queue="arn:aws:batch:us-east-1:123456789012:job-queue/etl",
        job_definition="etl:3",
        parameters={"day": "2024-01-31"},
        container_overrides={"command": ["python", "etl.py"]},
        submit_kwargs={"timeout": {"attemptDurationSeconds": 3600}},
        timeout_seconds=7200,
        aws_credentials=AwsCredentials(
            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="batch-conformance-secret"
        ),
    )
    assert_block_conforms(BatchJob, example)


# -- the core's JobSuite ----------------------------------------------------------------------


class TestBatchJobSuite(JobSuite):
    """The behaviour every JobBlock must have, for BatchJob against moto."""

    failure_reason = "Batch gave no reason"  # moto's simple Batch fails jobs without one

    @pytest.fixture
    def job(self, batch_setup: None, aws_credentials: AwsCredentials) -> BatchJob:
        return make_job(aws_credentials, timeout_seconds=30)

    @pytest.fixture
    def failing_job(
        self, batch_setup: None, aws_credentials: AwsCredentials, monkeypatch: pytest.MonkeyPatch
    ) -> BatchJob:
        monkeypatch.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")  # read by the in-process server
        return make_job(aws_credentials, timeout_seconds=30)

    @pytest.fixture
    def unfinished_job(
        self,
        docker_batch: None,
        hold_jobs: None,
        batch_setup: None,
        aws_credentials: AwsCredentials,
    ) -> BatchJob:
        return make_job(aws_credentials, timeout_seconds=0.3)
