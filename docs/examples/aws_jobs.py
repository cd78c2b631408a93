"""Lambda, Batch and Glue with headwater-aws: invoke a function, run jobs and wait for them.

A local moto server stands in for AWS. Without Docker it does not run the
function's code or the job's container: Lambda echoes the payload back, and
Batch and Glue jobs move through their states to SUCCEEDED.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.request
import zipfile

from moto.server import ThreadedMotoServer

from headwater import flow
from headwater_aws import (
    AwsCredentials,
    BatchJob,
    GlueJob,
    LambdaFunction,
    batch_run,
    glue_job_run,
    lambda_invoke,
)

logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
endpoint = "http://{}:{}".format(*server.get_host_and_port())
urllib.request.urlopen(  # tell moto there is no Docker here
    urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}, "batch": {"use_docker": False}}).encode(),
        method="POST",
    )
).read()
aws = AwsCredentials(
    aws_access_key_id="AKIAEXAMPLE",
    aws_secret_access_key="example-secret-key",
    region_name="us-east-1",
    aws_client_parameters={"endpoint_url": endpoint},
)


def create_the_resources() -> None:
    """What your infrastructure code would have created: a function, a Batch queue, a Glue job."""
    iam = aws.get_client("iam")
    role = iam.create_role(RoleName="jobs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    aws.get_lambda_client().create_function(
        FunctionName="resize-images",
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    batch = aws.get_batch_client()
    environment = batch.create_compute_environment(
        computeEnvironmentName="jobs-env", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    batch.create_job_queue(
        jobQueueName="nightly",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )
    batch.register_job_definition(
        jobDefinitionName="export",
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]},
    )
    aws.get_glue_client().create_job(
        Name="compact-tables",
        Role=role,
        Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"},
    )


@flow
def nightly_jobs() -> dict[str, object]:
    resized = lambda_invoke("resize-images", aws, payload={"images": 3})
    batch = batch_run("export-1", "nightly", "export", aws, poll_interval_seconds=0.1)
    glue = glue_job_run(
        "compact-tables", aws, arguments={"--day": "2026-11-30"}, poll_interval_seconds=0.1
    )
    return {"lambda": resized, "batch": batch["status"], "glue": glue["state"]}


if __name__ == "__main__":
    try:
        create_the_resources()
        outcome = nightly_jobs()
        print(outcome)
        assert outcome == {"lambda": {"images": 3}, "batch": "SUCCEEDED", "glue": "SUCCEEDED"}

        # The same as blocks, saved once and loaded by name anywhere.
        LambdaFunction(function_name="resize-images", aws_credentials=aws).save(
            "resize", overwrite=True
        )
        assert LambdaFunction.load("resize").invoke({"n": 1}) == {"n": 1}
        job = GlueJob(job_name="compact-tables", aws_credentials=aws, poll_interval_seconds=0.1)
        run = job.trigger()
        run.wait_for_completion()
        assert run.fetch_result()["state"] == "SUCCEEDED"
        export = BatchJob(
            job_name="export-2",
            job_queue="nightly",
            job_definition="export",
            aws_credentials=aws,
            poll_interval_seconds=0.1,
        ).trigger()
        export.wait_for_completion()
        print("batch job", export.job_id, export.fetch_result()["status"])
    finally:
        server.stop()
