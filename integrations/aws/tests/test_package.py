"""The package contract (the core's headwater.testing.packaging checks), plus boto3's floor
and blocks loading in a fresh process."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import headwater_aws
from headwater.testing.packaging import (
    assert_distribution_layout,
    assert_entry_points,
    assert_import_is_light,
    assert_public_api,
)

PROJECT = Path(__file__).resolve().parents[1]


def test_distribution_layout_version_and_core_range() -> None:
    assert_distribution_layout(PROJECT, "headwater-aws")
    assert headwater_aws.__version__ == importlib.metadata.version("headwater-aws")


def test_boto3_has_a_floor() -> None:
    requires = [r for r in importlib.metadata.requires("headwater-aws") or [] if "extra" not in r]
    boto3 = [r for r in requires if r.startswith("boto3")]
    assert boto3, requires
    assert ">=" in boto3[0], boto3


def test_public_api_is_sorted_and_resolves() -> None:
    assert_public_api(headwater_aws)


def test_import_does_not_load_boto3() -> None:
    assert_import_is_light(
        "headwater_aws",
        ["boto3", "botocore"],
        then=(
            "headwater_aws.AwsError; headwater_aws.S3Bucket\n"
            "assert 'boto3' not in sys.modules, 'defining blocks must not import boto3'"
        ),
    )


def test_every_block_is_an_entry_point_under_its_slug() -> None:
    assert_entry_points(
        "headwater-aws",
        "headwater.blocks",
        {
            "aws-credentials": "AwsCredentials",
            "aws-secret": "AwsSecret",
            "batch-job": "BatchJob",
            "glue-job": "GlueJob",
            "lambda-function": "LambdaFunction",
            "s3-bucket": "S3Bucket",
        },
    )


def test_secret_resolvers_are_entry_points() -> None:
    found = assert_entry_points("headwater-aws", "headwater.secret_resolvers")
    assert set(found) == {"aws-sm", "aws-ssm"}


def test_blocks_load_in_a_fresh_process_without_importing_the_package(
    aws_credentials: headwater_aws.AwsCredentials,
) -> None:
    aws_credentials.save("fresh")
    code = (
        "from headwater.blocks import Block; "
        "c = Block.load('aws-credentials/fresh'); "
        "assert type(c).__module__ == 'headwater_aws.credentials', type(c); "
        "assert c.check().ok"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=dict(os.environ))
