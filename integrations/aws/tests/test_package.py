"""The package contract: metadata, public API, lazy imports, entry points."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

import headwater_aws


def test_version_matches_distribution_metadata() -> None:
    assert headwater_aws.__version__ == importlib.metadata.version("headwater-aws")


def test_core_is_a_range_and_boto3_has_a_floor() -> None:
    requires = [r for r in importlib.metadata.requires("headwater-aws") or [] if "extra" not in r]
    core = [r for r in requires if r.startswith("headwater")]
    assert core, requires
    assert all(">=" in r and "<" in r and "==" not in r for r in core), core
    boto3 = [r for r in requires if r.startswith("boto3")]
    assert boto3, requires
    assert ">=" in boto3[0], boto3


def test_public_api_is_sorted_and_resolves() -> None:
    assert headwater_aws.__all__ == sorted(headwater_aws.__all__)
    for name in headwater_aws.__all__:
        assert getattr(headwater_aws, name) is not None, name
    assert sorted(dir(headwater_aws)) == dir(headwater_aws)
    with pytest.raises(AttributeError, match="no_such_name"):
        headwater_aws.no_such_name  # noqa: B018


def test_import_does_not_load_boto3() -> None:
    code = (
        "import sys, headwater_aws; "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules; "
        "headwater_aws.AwsError; headwater_aws.S3Bucket; "
        "assert 'boto3' not in sys.modules, 'defining blocks must not import boto3'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


EXPECTED_BLOCKS = {
    "aws-credentials": "AwsCredentials",
    "aws-secret": "AwsSecret",
    "batch-job": "BatchJob",
    "glue-job": "GlueJob",
    "lambda-function": "LambdaFunction",
    "s3-bucket": "S3Bucket",
}


def test_every_block_is_an_entry_point_under_its_slug() -> None:
    found = {
        ep.name: ep.load()
        for ep in entry_points(group="headwater.blocks")
        if ep.value.startswith("headwater_aws.")
    }
    assert {slug: cls.__name__ for slug, cls in found.items()} == EXPECTED_BLOCKS
    for slug, cls in found.items():
        assert cls.get_block_type_slug() == slug


def test_secret_resolvers_are_entry_points() -> None:
    found = {
        ep.name: ep.value
        for ep in entry_points(group="headwater.secret_resolvers")
        if ep.value.startswith("headwater_aws.")
    }
    assert set(found) == {"aws-sm", "aws-ssm"}
    for ep in entry_points(group="headwater.secret_resolvers"):
        if ep.name in found:
            assert callable(ep.load())


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
