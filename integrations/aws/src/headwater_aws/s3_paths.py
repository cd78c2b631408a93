"""S3 names, paths and transfer arguments: the checks ``S3Bucket`` applies before calling AWS.

Kept apart from :mod:`headwater_aws.s3` so the block module holds the block.
The relative-path rules are the core's (:mod:`headwater.blocks.paths`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "DELETE_BATCH",
    "MAX_PART",
    "MIB",
    "MIN_PART",
    "SECRET_EXTRA_ARGS",
    "allowed_copy_args",
    "allowed_download_args",
    "allowed_upload_args",
    "check_args",
    "validate_bucket_name",
]

MIB = 1024 * 1024
MIN_PART = 5 * MIB
MAX_PART = 5 * 1024 * MIB
DELETE_BATCH = 1000
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
SECRET_EXTRA_ARGS = frozenset({"SSECustomerKey"})


def allowed_upload_args() -> frozenset[str]:
    from boto3.s3.transfer import S3Transfer

    return frozenset(S3Transfer.ALLOWED_UPLOAD_ARGS)


def allowed_download_args() -> frozenset[str]:
    from boto3.s3.transfer import S3Transfer

    return frozenset(S3Transfer.ALLOWED_DOWNLOAD_ARGS)


def allowed_copy_args() -> frozenset[str]:
    from s3transfer.manager import TransferManager

    return frozenset(TransferManager.ALLOWED_COPY_ARGS)


def check_args(kind: str, args: Iterable[str], allowed: frozenset[str]) -> None:
    bad = sorted(set(args) - allowed)
    if bad:
        raise ValueError(
            f"{kind}: {', '.join(repr(b) for b in bad)} "
            f"{'is not an allowed argument' if len(bad) == 1 else 'are not allowed arguments'}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def validate_bucket_name(value: str) -> str:
    """``value`` when it is a valid S3 bucket name, else a ValueError saying what is wrong."""
    problem = None
    if not isinstance(value, str):
        raise TypeError(f"bucket_name must be a string, not {type(value).__name__}")
    if not 3 <= len(value) <= 63:
        problem = f"is {len(value)} characters long; S3 needs 3 to 63"
    elif not _BUCKET_NAME.match(value):
        problem = (
            "may only contain lowercase letters, digits, '.' and '-', "
            "and must begin and end with a letter or digit"
        )
    elif ".." in value or ".-" in value or "-." in value:
        problem = "may not contain '..', '.-' or '-.'"
    elif _IP_ADDRESS.match(value):
        problem = "may not look like an IP address"
    elif value.startswith(_RESERVED_PREFIXES) or value.endswith(_RESERVED_SUFFIXES):
        problem = "uses a prefix or suffix S3 reserves"
    if problem:
        raise ValueError(f"bucket_name {value!r} {problem}")
    return value
