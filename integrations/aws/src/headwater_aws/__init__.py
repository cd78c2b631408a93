"""AWS for Headwater, on boto3.

- :class:`AwsCredentials`: keys, profile or the default chain, an assumed role
  that refreshes itself, client parameters, typed client getters and ``check()``.
- :class:`S3Bucket`: a WritableFileSystem and ObjectStorageBlock (usable as
  ``result_storage``) with the tasks :func:`s3_upload`, :func:`s3_download`,
  :func:`s3_list_objects`, :func:`s3_copy`, :func:`s3_move` and :func:`s3_delete`.
- :class:`AwsSecret` on Secrets Manager with :func:`read_secret`,
  :func:`create_secret`, :func:`update_secret` and :func:`delete_secret`; and
  secret references ``aws-sm://name``, ``aws-sm://name#json-key`` and
  ``aws-ssm://parameter`` usable in any block's secret field.
- :class:`LambdaFunction` with :func:`lambda_invoke`; :class:`BatchJob` with
  :func:`batch_submit` / :func:`batch_run` and :class:`GlueJob` with :func:`glue_job_run` (JobBlocks).
- Errors under :class:`AwsError` (see :mod:`headwater_aws.errors`).

Names are imported on first use, so ``import headwater_aws`` does not load
boto3 until a block needs it. Every block is registered under the
``headwater.blocks`` entry point group, so ``Block.load("s3-bucket/data")``
works without importing this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from headwater_aws._version import __version__

if TYPE_CHECKING:
    from headwater_aws.batch import BatchJob, BatchJobRun, batch_run, batch_submit
    from headwater_aws.credentials import AwsClientParameters, AwsCredentials
    from headwater_aws.errors import (
        AccessDeniedError,
        AwsConnectionError,
        AwsError,
        InvalidRequestError,
        JobFailedError,
        JobTimeoutError,
        ResourceExistsError,
        ResourceNotFoundError,
        ThrottlingError,
    )
    from headwater_aws.glue import GlueJob, GlueJobRun, glue_job_run
    from headwater_aws.lambda_function import LambdaFunction, lambda_invoke
    from headwater_aws.s3 import (
        S3Bucket,
        s3_copy,
        s3_delete,
        s3_download,
        s3_list_objects,
        s3_move,
        s3_upload,
    )
    from headwater_aws.secrets_manager import (
        AwsSecret,
        create_secret,
        delete_secret,
        read_secret,
        update_secret,
    )

__all__ = [
    "AccessDeniedError",
    "AwsClientParameters",
    "AwsConnectionError",
    "AwsCredentials",
    "AwsError",
    "AwsSecret",
    "BatchJob",
    "BatchJobRun",
    "GlueJob",
    "GlueJobRun",
    "InvalidRequestError",
    "JobFailedError",
    "JobTimeoutError",
    "LambdaFunction",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "S3Bucket",
    "ThrottlingError",
    "__version__",
    "batch_run",
    "batch_submit",
    "create_secret",
    "delete_secret",
    "glue_job_run",
    "lambda_invoke",
    "read_secret",
    "s3_copy",
    "s3_delete",
    "s3_download",
    "s3_list_objects",
    "s3_move",
    "s3_upload",
    "update_secret",
]

_ERRORS = "headwater_aws.errors"
_LAZY = {
    "AccessDeniedError": _ERRORS,
    "AwsClientParameters": "headwater_aws.credentials",
    "AwsConnectionError": _ERRORS,
    "AwsCredentials": "headwater_aws.credentials",
    "AwsError": _ERRORS,
    "AwsSecret": "headwater_aws.secrets_manager",
    "BatchJob": "headwater_aws.batch",
    "BatchJobRun": "headwater_aws.batch",
    "GlueJob": "headwater_aws.glue",
    "GlueJobRun": "headwater_aws.glue",
    "InvalidRequestError": _ERRORS,
    "JobFailedError": _ERRORS,
    "JobTimeoutError": _ERRORS,
    "LambdaFunction": "headwater_aws.lambda_function",
    "ResourceExistsError": _ERRORS,
    "ResourceNotFoundError": _ERRORS,
    "S3Bucket": "headwater_aws.s3",
    "ThrottlingError": _ERRORS,
    "batch_run": "headwater_aws.batch",
    "batch_submit": "headwater_aws.batch",
    "create_secret": "headwater_aws.secrets_manager",
    "delete_secret": "headwater_aws.secrets_manager",
    "glue_job_run": "headwater_aws.glue",
    "lambda_invoke": "headwater_aws.lambda_function",
    "read_secret": "headwater_aws.secrets_manager",
    "s3_copy": "headwater_aws.s3",
    "s3_delete": "headwater_aws.s3",
    "s3_download": "headwater_aws.s3",
    "s3_list_objects": "headwater_aws.s3",
    "s3_move": "headwater_aws.s3",
    "s3_upload": "headwater_aws.s3",
    "update_secret": "headwater_aws.secrets_manager",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'headwater_aws' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
