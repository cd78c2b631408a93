"""Secrets Manager with headwater-aws: the AwsSecret block, the secret tasks, and
`aws-sm://` / `aws-ssm://` references in any block's secret field.

A local moto server stands in for AWS; the references use boto3's default
credential chain, which the environment variables below point at moto.
"""

from __future__ import annotations

import json
import logging
import os

from moto.server import ThreadedMotoServer

from headwater import flow, get_run_logger
from headwater.blocks import Secret
from headwater_aws import AwsCredentials, AwsSecret, create_secret, read_secret, update_secret

logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
endpoint = "http://{}:{}".format(*server.get_host_and_port())
os.environ.update(  # the default chain, here pointing at moto
    AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY="example-secret-key",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ENDPOINT_URL=endpoint,
)
aws = AwsCredentials()  # empty: the default chain


@flow(log_prints=True)
def rotate_database_password() -> str:
    create_secret(
        "prod/warehouse", json.dumps({"user": "etl", "password": "first-password"}), aws
    )
    update_secret(
        "prod/warehouse", json.dumps({"user": "etl", "password": "second-password"}), aws
    )
    current = json.loads(read_secret("prod/warehouse", aws))
    print(f"the password is now {current['password']}")  # printed as ********
    return str(current["user"])


if __name__ == "__main__":
    try:
        assert rotate_database_password() == "etl"

        # A block stores the reference, never the value; it is resolved where it is used.
        Secret(value="aws-sm://prod/warehouse#password").save("warehouse-password", overwrite=True)
        aws.get_ssm_client().put_parameter(
            Name="/prod/api/token", Value="parameter-token-1", Type="SecureString"
        )
        Secret(value="aws-ssm:///prod/api/token").save("api-token", overwrite=True)

        @flow
        def use_the_references() -> None:
            password = Secret.load("warehouse-password").get()
            token = Secret.load("api-token").get()
            get_run_logger().info("connecting with %s and %s", password, token)  # masked
            assert (password, token) == ("second-password", "parameter-token-1")

        use_the_references()

        # The AwsSecret block: the same secret as a block with read/write/delete.
        secret = AwsSecret(secret_name="prod/warehouse", aws_credentials=aws)
        assert json.loads(secret.read_secret())["password"] == "second-password"
        secret.delete_secret(force_delete_without_recovery=True)
    finally:
        server.stop()
