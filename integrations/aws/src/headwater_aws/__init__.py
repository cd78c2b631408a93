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

from typing import TYPE_CHECKING

from headwater.lazy import lazy_exports
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

_MODULES = {
    "headwater_aws.batch": ["BatchJob", "BatchJobRun", "batch_run", "batch_submit"],
    "headwater_aws.credentials": ["AwsClientParameters", "AwsCredentials"],
    "headwater_aws.errors": [
        "AccessDeniedError",
        "AwsConnectionError",
        "AwsError",
        "InvalidRequestError",
        "JobFailedError",
        "JobTimeoutError",
        "ResourceExistsError",
        "ResourceNotFoundError",
        "ThrottlingError",
    ],
    "headwater_aws.glue": ["GlueJob", "GlueJobRun", "glue_job_run"],
    "headwater_aws.lambda_function": ["LambdaFunction", "lambda_invoke"],
    "headwater_aws.s3": [
        "S3Bucket",
        "s3_copy",
        "s3_delete",
        "s3_download",
        "s3_list_objects",
        "s3_move",
        "s3_upload",
    ],
    "headwater_aws.secrets_manager": [
        "AwsSecret",
        "create_secret",
        "delete_secret",
        "read_secret",
        "update_secret",
    ],
}

__getattr__, __dir__ = lazy_exports(
    __name__, {name: module for module, names in _MODULES.items() for name in names}
)
