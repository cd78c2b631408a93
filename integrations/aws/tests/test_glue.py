"""GlueJob, GlueJobRun and glue_job_run against the moto server.

moto's Glue runs go STARTING -> RUNNING -> SUCCEEDED (at once by default;
holding the ``glue::job_run`` state machine keeps a run STARTING). moto 5.2
has no way to make a run end FAILED, ERROR, TIMEOUT or STOPPED
(``BatchStopJobRun`` is not implemented), so the failure path is not tested here.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from headwater import flow
from headwater.testing import JobSuite
from headwater.testing.blocks import assert_block_conforms
from headwater_aws import (
    AccessDeniedError,
    AwsCredentials,
    GlueJob,
    GlueJobRun,
    JobTimeoutError,
    ResourceNotFoundError,
    ThrottlingError,
    glue_job_run,
)

REGION = "us-east-1"


def _post(url: str, body: object) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def hold_runs(aws_env: str) -> Iterator[None]:
    """Keep Glue job runs STARTING (moto's state manager), released afterwards."""
    _post(
        f"{aws_env}/moto-api/state-manager/set-transition",
        {"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 100000}},
    )
    try:
        yield
    finally:
        _post(f"{aws_env}/moto-api/state-manager/unset-transition", {"model_name": "glue::job_run"})


@pytest.fixture
def glue_job(aws_credentials: AwsCredentials) -> str:
    """A Glue job named ``etl`` with a default argument ``--env=prod``; its name."""
    aws_credentials.get_glue_client().create_job(
        Name="etl",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"},
        DefaultArguments={"--env": "prod"},
    )
    return "etl"


def make_job(aws_credentials: AwsCredentials, **fields: Any) -> GlueJob:
    settings: dict[str, Any] = {
        "job_name": "etl",
        "aws_credentials": aws_credentials,
        "poll_interval_seconds": 0.05,
        **fields,
    }
    return GlueJob(**settings)


def test_trigger_wait_and_fetch_result(glue_job: str, aws_credentials: AwsCredentials) -> None:
    job = make_job(
        aws_credentials,
        arguments={"--day": "2024-01-31"},
        job_run_kwargs={"WorkerType": "G.1X", "NumberOfWorkers": 2, "Timeout": 30},
    )
    run = job.trigger()
    assert isinstance(run, GlueJobRun)
    assert run.job_run_id.startswith("jr_")
    run.wait_for_completion()
    result = run.fetch_result()
    assert result["job_name"] == "etl"
    assert result["job_run_id"] == run.job_run_id
    assert result["state"] == "SUCCEEDED"
    assert result["arguments"] == {"--env": "prod", "--day": "2024-01-31"}
    assert result["error_message"] is None
    assert isinstance(result["execution_time"], int)
    assert isinstance(result["started_on"], datetime)
    assert isinstance(result["completed_on"], datetime)
    described = run.describe()
    assert (described["WorkerType"], described["NumberOfWorkers"], described["Timeout"]) == (
        "G.1X",
        2,
        30,
    )


def test_missing_job_raises_resource_not_found_naming_it(aws_credentials: AwsCredentials) -> None:
    with pytest.raises(ResourceNotFoundError, match="Glue job 'no-such-job'") as info:
        make_job(aws_credentials, job_name="no-such-job").trigger()
    assert isinstance(info.value, FileNotFoundError)


def test_unknown_run_id_raises_resource_not_found(
    glue_job: str, aws_credentials: AwsCredentials
) -> None:
    run = GlueJobRun(make_job(aws_credentials), job_run_id="jr_nope")
    with pytest.raises(ResourceNotFoundError, match="jr_nope"):
        run.wait_for_completion()


def test_waiting_past_the_timeout_raises_job_timeout_naming_the_run(
    hold_runs: None, glue_job: str, aws_credentials: AwsCredentials
) -> None:
    run = make_job(aws_credentials, timeout_seconds=0.3).trigger()
    with pytest.raises(JobTimeoutError) as info:
        run.wait_for_completion()
    assert isinstance(info.value, TimeoutError)
    assert run.job_run_id in str(info.value)
    assert "last state STARTING" in str(info.value)
    assert run.fetch_result()["state"] == "STARTING"


def test_a_second_run_beyond_max_concurrency_is_throttled(
    hold_runs: None, glue_job: str, aws_credentials: AwsCredentials
) -> None:
    make_job(aws_credentials).trigger()
    with pytest.raises(ThrottlingError, match="ConcurrentRunsExceededException"):
        make_job(aws_credentials).trigger()


def test_bad_fields_are_refused(aws_credentials: AwsCredentials) -> None:
    with pytest.raises(ValidationError, match="job_run_kwargs may not set Arguments"):
        make_job(aws_credentials, job_run_kwargs={"Arguments": {"--a": "b"}})
    with pytest.raises(ValidationError, match="poll_interval_seconds"):
        make_job(aws_credentials, poll_interval_seconds=-1)
    with pytest.raises(ValidationError, match="timeout_seconds"):
        make_job(aws_credentials, timeout_seconds=0)
    with pytest.raises(ValidationError, match="job_name"):
        make_job(aws_credentials, job_name="")


def test_unknown_access_key_raises_access_denied(iam_enforced: None, moto_server: str) -> None:
    stranger = AwsCredentials(
        aws_access_key_id="AKIANOSUCHKEY0000000",
        aws_secret_access_key="not-a-real-secret-key",
        region_name=REGION,
        aws_client_parameters={"endpoint_url": moto_server},
    )
    with pytest.raises(AccessDeniedError, match="Glue job 'etl'") as info:
        make_job(stranger).trigger()
    assert "not-a-real-secret-key" not in str(info.value)


def test_glue_job_run_with_submit_and_map_in_a_flow(
    glue_job: str, aws_credentials: AwsCredentials
) -> None:
    @flow
    def pipeline() -> list[dict[str, Any]]:
        first = glue_job_run.submit("etl", aws_credentials, poll_interval_seconds=0.05)
        days = [{"--day": "2024-01-01"}, {"--day": "2024-01-02"}]
        others = glue_job_run.map(
            ["etl", "etl"], aws_credentials=[aws_credentials] * 2, arguments=days
        )
        return [first.result(), *(f.result() for f in others)]

    results = pipeline()
    assert [r["state"] for r in results] == ["SUCCEEDED"] * 3
    assert [r["arguments"].get("--day") for r in results] == [None, "2024-01-01", "2024-01-02"]
    assert len({r["job_run_id"] for r in results}) == 3


def test_glue_job_run_timeout_in_a_flow(
    hold_runs: None, glue_job: str, aws_credentials: AwsCredentials
) -> None:
    @flow
    def pipeline() -> dict[str, Any]:
        return glue_job_run("etl", aws_credentials, poll_interval_seconds=0.05, timeout_seconds=0.2)

    with pytest.raises(JobTimeoutError, match="Glue job 'etl' run jr_"):
        pipeline()


def test_block_conforms(headwater_home: object) -> None:
    example = GlueJob(
        job_name="etl",
        arguments={"--day": "2024-01-31"},
        job_run_kwargs={"WorkerType": "G.1X", "NumberOfWorkers": 2},
        poll_interval_seconds=30,
        aws_credentials=AwsCredentials(
            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="glue-conformance-secret"
        ),
    )
    assert_block_conforms(GlueJob, example)


# -- the core's JobSuite ----------------------------------------------------------------------


class TestGlueJobSuite(JobSuite):
    """The behaviour every JobBlock must have, for GlueJob against moto."""

    @pytest.fixture
    def job(self, glue_job: str, aws_credentials: AwsCredentials) -> GlueJob:
        return make_job(aws_credentials, timeout_seconds=30)

    @pytest.fixture
    def failing_job(self) -> GlueJob:
        pytest.skip("moto 5.2 cannot make a Glue run fail (see the module docstring)")

    @pytest.fixture
    def unfinished_job(
        self, hold_runs: None, glue_job: str, aws_credentials: AwsCredentials
    ) -> GlueJob:
        return make_job(aws_credentials, timeout_seconds=0.3)
