"""S3 with headwater-aws: a credentials block, the S3 tasks in a flow, S3 as result storage.

A local moto server stands in for AWS so this runs anywhere; with real AWS,
drop the server and `endpoint_url` and keep everything else.
"""

from __future__ import annotations

import logging

from moto.server import ThreadedMotoServer

from headwater import flow, task, unmapped
from headwater.results import read_result_record
from headwater_aws import (
    AwsCredentials,
    S3Bucket,
    s3_copy,
    s3_delete,
    s3_download,
    s3_list_objects,
    s3_move,
    s3_upload,
)

logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
endpoint = "http://{}:{}".format(*server.get_host_and_port())

# Once, in a setup script: the credentials and the bucket, saved by name.
credentials = AwsCredentials(
    aws_access_key_id="AKIAEXAMPLE",
    aws_secret_access_key="example-secret-key",  # or a reference: env://..., aws-sm://...
    region_name="us-east-1",
    aws_client_parameters={"endpoint_url": endpoint},  # only for moto
)
credentials.save("aws-prod", overwrite=True)
credentials.get_s3_client().create_bucket(Bucket="example-lake")
S3Bucket(
    bucket_name="example-lake",
    bucket_folder="results",
    credentials=AwsCredentials.load("aws-prod"),  # stored by reference: rotate it in one place
).save("lake-results", overwrite=True)


@task
def daily_totals(day: int) -> bytes:
    return f"day,total\n{day},{day * 100}\n".encode()


@task
def total(parts: list[bytes]) -> int:
    return sum(int(p.decode().splitlines()[1].split(",")[1]) for p in parts)


# Results of the flow and of its tasks are written to the saved S3Bucket.
@flow(persist_result=True, result_storage="s3-bucket/lake-results")
def nightly(days: int = 3) -> int:
    aws = AwsCredentials.load("aws-prod")
    keys = s3_upload.map(
        [daily_totals(d) for d in range(1, days + 1)],
        [f"raw/day-{d}.csv" for d in range(1, days + 1)],
        unmapped("example-lake"),
        aws,  # a block is passed whole to every mapped call
    ).result()
    listed = s3_list_objects("example-lake", aws, prefix="raw/")
    assert [o["Key"] for o in listed] == keys
    s3_copy(keys[0], "archive/day-1.csv", "example-lake", aws)
    s3_move(keys[-1], f"archive/day-{days}.csv", "example-lake", aws)
    s3_delete("example-lake", "archive/day-1.csv", aws)
    contents = s3_download.map(unmapped("example-lake"), keys[:-1], aws)
    return total(contents.result())


if __name__ == "__main__":
    try:
        state = nightly(return_state=True)
        print("result:", state.result(), "stored at", state.result_key)
        assert state.result() == 100 + 200
        assert state.result_key is not None
        assert state.result_key.startswith("block://s3-bucket/lake-results#")
        assert read_result_record(state.result_key) == 300  # from any process
        lake = S3Bucket.load("lake-results")
        print("result records:", len(lake.list_paths()))
        assert len(lake.list_paths()) >= 1
    finally:
        server.stop()
