"""S3Bucket as result storage: flow and task results, another process, caching through S3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.testing.reader import TaskRunRecord, task_runs
from headwater_aws import AwsCredentials, S3Bucket


@pytest.fixture
def results_bucket(bucket: str, aws_credentials: AwsCredentials) -> S3Bucket:
    return S3Bucket(bucket_name=bucket, credentials=aws_credentials, bucket_folder="runs/results")


def all_keys(block: S3Bucket) -> list[str]:
    response = block.client.list_objects_v2(Bucket=block.bucket_name)
    return sorted(item["Key"] for item in response.get("Contents", []))


def result_key_of(run: TaskRunRecord) -> str:
    assert run.result_key, run
    return run.result_key


def test_flow_result_lands_in_the_bucket_folder(results_bucket: S3Bucket) -> None:
    @flow(result_storage=results_bucket, persist_result=True)
    def pipeline() -> dict[str, int]:
        return {"answer": 42}

    state = pipeline(return_state=True)
    assert state.result() == {"answer": 42}
    keys = all_keys(results_bucket)
    assert len(keys) == 1
    assert keys[0].startswith("runs/results/")
    record_key = keys[0].removeprefix("runs/results/")
    assert state.result_key.endswith("#" + record_key)
    from headwater.results import read_result_record

    assert read_result_record(state.result_key) == {"answer": 42}


def test_task_result_in_an_unsaved_block(results_bucket: S3Bucket) -> None:
    @task(result_storage=results_bucket, persist_result=True)
    def double(x: int) -> list[int]:
        return [x, x * 2]

    @flow
    def pipeline() -> list[int]:
        return double(21)

    assert pipeline() == [21, 42]
    (key,) = all_keys(results_bucket)
    assert key.startswith("runs/results/")
    payload = results_bucket.read_path(key.removeprefix("runs/results/"))
    assert payload  # a result record (header + pickled value)


def test_saved_block_results_are_read_from_another_process(
    results_bucket: S3Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # were "s3-bucket/shared" taken for a folder, it would land here
    results_bucket.save("shared")

    @task(result_storage="s3-bucket/shared", persist_result=True)
    def compute() -> str:
        return "made in process one"

    @flow
    def pipeline() -> str:
        return compute()

    assert pipeline() == "made in process one"
    (run,) = task_runs()
    key = result_key_of(run)
    assert key.startswith("block://s3-bucket/shared#"), key
    record = key.split("#", 1)[1]
    assert all_keys(results_bucket) == [f"runs/results/{record}"]
    assert not list(tmp_path.iterdir())  # nothing written locally

    code = (
        "from headwater.results import read_result_record; import sys; "
        f"sys.stdout.write(read_result_record({key!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "made in process one"


def test_cached_task_hits_the_cache_through_s3(results_bucket: S3Bucket) -> None:
    from headwater.cache_policies import INPUTS

    results_bucket.save("cache")
    calls: list[int] = []

    @task(result_storage="s3-bucket/cache", cache_policy=INPUTS)
    def expensive(x: int) -> int:
        calls.append(x)
        return x * 10

    @task(result_storage="s3-bucket/cache", cache_key_fn=lambda ctx, params: f"k{params['x']}")
    def keyed(x: int) -> int:
        calls.append(-x)
        return x + 1

    @flow
    def pipeline(x: int) -> tuple[int, int]:
        return expensive(x), keyed(x)

    assert pipeline(3) == (30, 4)
    assert calls == [3, -3]
    stored = all_keys(results_bucket)
    assert len(stored) == 2
    assert all(k.startswith("runs/results/") for k in stored)
    assert "runs/results/k3" in stored

    assert pipeline(3) == (30, 4)
    assert calls == [3, -3]  # both served from S3
    states = sorted(r.state_name for r in task_runs())
    assert states == ["Cached", "Cached"]

    results_bucket.delete_object("", recursive=True)  # without the records in S3, no cache hit
    assert pipeline(3) == (30, 4)
    assert calls == [3, -3, 3, -3]
