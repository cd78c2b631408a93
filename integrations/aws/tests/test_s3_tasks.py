"""The S3 tasks, each run inside a real flow against moto (one through .submit, one through .map)."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, unmapped
from headwater_aws import (
    AwsCredentials,
    ResourceNotFoundError,
    s3_copy,
    s3_delete,
    s3_download,
    s3_list_objects,
    s3_move,
    s3_upload,
)

OTHER = "headwater-other-bucket"


def keys(credentials: AwsCredentials, bucket: str) -> list[str]:
    response = credentials.get_s3_client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in response.get("Contents", []))


def test_upload_download_list_in_a_flow(aws_credentials: AwsCredentials, bucket: str) -> None:
    @flow
    def pipeline() -> tuple[str, bytes, list[dict[str, Any]]]:
        key = s3_upload(
            b"hello s3",
            "in/hello.txt",
            bucket,
            aws_credentials,
            extra_args={"ContentType": "text/plain"},
        )
        data = s3_download(bucket, key, aws_credentials)
        listed = s3_list_objects(bucket, aws_credentials, prefix="in/")
        return key, data, listed

    key, data, listed = pipeline()
    assert (key, data) == ("in/hello.txt", b"hello s3")
    assert [(o["Key"], o["Size"]) for o in listed] == [("in/hello.txt", 8)]
    head = aws_credentials.get_s3_client().head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "text/plain"


def test_upload_with_map_and_download_with_submit(
    aws_credentials: AwsCredentials, bucket: str
) -> None:
    payloads = [b"zero", b"one", b"two"]
    names = ["m/0.txt", "m/1.txt", "m/2.txt"]

    @flow
    def pipeline() -> tuple[list[str], bytes]:
        uploaded = s3_upload.map(
            payloads, names, unmapped(bucket), unmapped(aws_credentials)
        ).result()
        future = s3_download.submit(bucket, uploaded[1], aws_credentials)
        return uploaded, future.result()

    uploaded, data = pipeline()
    assert uploaded == names
    assert data == b"one"
    assert keys(aws_credentials, bucket) == names


def test_list_objects_task_prefix_delimiter_and_paging(
    aws_credentials: AwsCredentials, bucket: str
) -> None:
    client = aws_credentials.get_s3_client()
    for i in range(12):
        client.put_object(Bucket=bucket, Key=f"logs/2024-{i:02d}.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key="logs/old/2023.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key="logsbook.txt", Body=b"x")

    @flow
    def pipeline() -> tuple[int, int, int, int]:
        raw_prefix = s3_list_objects(bucket, aws_credentials, prefix="logs")
        top = s3_list_objects(bucket, aws_credentials, prefix="logs/", delimiter="/")
        limited = s3_list_objects(
            bucket, aws_credentials, prefix="logs/2024", page_size=5, max_items=7
        )
        everything = s3_list_objects(bucket, aws_credentials)
        return len(raw_prefix), len(top), len(limited), len(everything)

    assert pipeline() == (14, 12, 7, 14)


def test_copy_and_move_tasks(aws_credentials: AwsCredentials, bucket: str) -> None:
    aws_credentials.get_s3_client().create_bucket(Bucket=OTHER)
    aws_credentials.get_s3_client().put_object(Bucket=bucket, Key="src/a.txt", Body=b"a")

    @flow
    def pipeline() -> list[str]:
        same = s3_copy("src/a.txt", "copy/a.txt", bucket, aws_credentials)
        other = s3_copy(
            "src/a.txt",
            "elsewhere/a.txt",
            bucket,
            aws_credentials,
            target_bucket_name=OTHER,
            Metadata={"origin": "copy"},
            MetadataDirective="REPLACE",
        )
        moved = s3_move("copy/a.txt", "moved/a.txt", bucket, aws_credentials)
        moved_out = s3_move("src/a.txt", "from-move/a.txt", bucket, aws_credentials, OTHER)
        return [same, other, moved, moved_out]

    assert pipeline() == ["copy/a.txt", "elsewhere/a.txt", "moved/a.txt", "from-move/a.txt"]
    assert keys(aws_credentials, bucket) == ["moved/a.txt"]
    assert keys(aws_credentials, OTHER) == ["elsewhere/a.txt", "from-move/a.txt"]
    head = aws_credentials.get_s3_client().head_object(Bucket=OTHER, Key="elsewhere/a.txt")
    assert head["Metadata"] == {"origin": "copy"}


def test_delete_task_and_missing_key(aws_credentials: AwsCredentials, bucket: str) -> None:
    aws_credentials.get_s3_client().put_object(Bucket=bucket, Key="gone.txt", Body=b"g")

    @flow
    def pipeline() -> str:
        return s3_delete(bucket, "gone.txt", aws_credentials)

    assert pipeline() == "gone.txt"
    assert keys(aws_credentials, bucket) == []

    with pytest.raises(ResourceNotFoundError, match=r"s3://headwater-test-bucket/gone\.txt"):
        pipeline()


def test_download_of_a_missing_key_fails_the_flow_with_our_error(
    aws_credentials: AwsCredentials, bucket: str
) -> None:
    @flow
    def pipeline() -> bytes:
        return s3_download.submit(bucket, "nope/missing.bin", aws_credentials).result()

    state = pipeline(return_state=True)
    assert state.is_failed()
    with pytest.raises(FileNotFoundError, match=r"s3://headwater-test-bucket/nope/missing\.bin"):
        state.result()
