"""The README demo, AWS part: a small ETL flow over an S3 bucket with headwater-aws.

Needs only `pip install headwater headwater-aws "moto[server]"`. A local moto
server stands in for AWS, so nothing leaves the machine and no account is
needed; point the AwsCredentials block at real AWS (drop the endpoint, set keys,
a profile or nothing for the default chain) and the flow is unchanged.

Saves two blocks by name (the credentials and the bucket), then runs a flow
that uploads a folder of daily CSV files, lists them, downloads and aggregates
them with mapped tasks, keeps one task's result in the bucket, and writes a
summary back next to the data. Safe to run again: blocks are overwritten and
the bucket lives in this run's moto server.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import random
import tempfile
from pathlib import Path

from moto.server import ThreadedMotoServer

from headwater import flow, task, unmapped
from headwater_aws import AwsCredentials, S3Bucket, s3_download, s3_list_objects

BUCKET = "headwater-demo"
REGIONS = ["north", "south", "east", "west"]


def save_blocks(endpoint: str) -> None:
    """Create the bucket and save the blocks the flow loads by name."""
    credentials = AwsCredentials(
        aws_access_key_id="demo-key-id",  # moto accepts any keys
        aws_secret_access_key="demo-secret-key",
        region_name="us-east-1",
        aws_client_parameters={"endpoint_url": endpoint},  # real AWS: leave it out
    )
    credentials.get_s3_client().create_bucket(Bucket=BUCKET)
    credentials.save("demo-aws", overwrite=True)
    S3Bucket(bucket_name=BUCKET, credentials=credentials).save("demo-data", overwrite=True)


def write_daily_csvs(folder: Path, days: int) -> None:
    """One CSV of sales per day, rows of (region, amount)."""
    for day in range(1, days + 1):
        rng = random.Random(day)
        with (folder / f"sales-2026-01-{day:02d}.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["region", "amount"])
            for region in REGIONS:
                writer.writerow([region, rng.randint(10, 500)])


@task
def upload_folder(folder: str, to_folder: str) -> str:
    bucket = S3Bucket.load("demo-data")
    return bucket.upload_from_folder(folder, to_folder, progress=False)


@task
def parse_csv(content: bytes) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(content.decode())):
        totals[row["region"]] = totals.get(row["region"], 0) + int(row["amount"])
    return totals


# This task's result is written to the bucket (result_storage names the saved block).
@task(persist_result=True, result_storage="s3-bucket/demo-data")
def aggregate(per_file: list[dict[str, int]]) -> dict[str, int]:
    grand: dict[str, int] = {}
    for totals in per_file:
        for region, amount in totals.items():
            grand[region] = grand.get(region, 0) + amount
    return dict(sorted(grand.items()))


@task
def write_summary(summary: dict[str, object]) -> str:
    bucket = S3Bucket.load("demo-data")
    return bucket.write_path("summaries/sales.json", json.dumps(summary, indent=2).encode())


@flow(log_prints=True)
def sales_report(days: int = 5) -> dict[str, object]:
    bucket = S3Bucket.load("demo-data")
    with tempfile.TemporaryDirectory(prefix="headwater-demo-csv-") as folder:
        write_daily_csvs(Path(folder), days)
        prefix = upload_folder(folder, "raw")

    objects = s3_list_objects(bucket.bucket_name, bucket.credentials, prefix=f"{prefix}/")
    keys = [obj["Key"] for obj in objects]
    print(f"{len(keys)} files in s3://{bucket.bucket_name}/{prefix}/")

    contents = s3_download.map(unmapped(bucket.bucket_name), keys, unmapped(bucket.credentials))
    per_file = parse_csv.map(contents)
    state = aggregate(per_file.result(), return_state=True)
    totals = state.result()
    print(f"aggregate's result is stored in the bucket: {state.result_key}")
    summary: dict[str, object] = {"files": len(keys), "totals": totals}
    where = write_summary.submit(summary).result()
    print(f"summary written to s3://{bucket.bucket_name}/{where}: {summary}")
    return summary


if __name__ == "__main__":
    # A local moto server stands in for AWS: it speaks the S3 API on 127.0.0.1 (a free
    # port), so the demo needs no account and no network. With real AWS, skip it and
    # leave endpoint_url out of the credentials block.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        save_blocks(f"http://{host}:{port}")
        summary = sales_report()
        assert summary["files"] == 5
        bucket = S3Bucket.load("demo-data")
        stored = json.loads(bucket.read_path("summaries/sales.json"))
        assert stored == summary, stored
        # the CSVs, the summary, and aggregate's result (named by its id)
        print("objects in the bucket:", *bucket.list_paths(), sep="\n  ")
    finally:
        server.stop()
