"""AWS errors, translated at the boto3 boundary.

Every call this package makes to AWS goes through :func:`translate_errors`, so
user code catches these (or the core classes and builtins they derive from)
and never imports botocore::

    HeadwaterError
    └── ServiceError                                  (headwater.errors)
        └── AwsError                                  an AWS call failed
            ├── ResourceNotFoundError  (core ResourceNotFoundError, FileNotFoundError)
            ├── ResourceExistsError    (core ResourceExistsError, FileExistsError)
            ├── AccessDeniedError      (core AccessDeniedError, PermissionError)
            ├── InvalidRequestError (ValueError)      AWS rejected a parameter of the call
            ├── ThrottlingError        (core ThrottledError, TransientError)
            ├── AwsConnectionError     (core ServiceUnreachableError, ConnectionError)
            ├── JobFailedError         (core JobFailedError)  a Lambda, Batch or Glue run failed
            └── JobTimeoutError        (core JobTimeoutError, TimeoutError)

So ``except headwater.errors.ResourceNotFoundError`` catches a missing S3 key
as it catches a missing object of any other integration. The original
botocore exception is chained (``raise ... from exc``). Messages name the
action and the resource (``s3://bucket/key``, ``secret 'name'``) and never
contain a credential: they pass through the log masker, which knows every
secret a block has resolved.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from headwater import errors as core
from headwater.translation import translating

__all__ = [
    "AccessDeniedError",
    "AwsConnectionError",
    "AwsError",
    "InvalidRequestError",
    "JobFailedError",
    "JobTimeoutError",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ThrottlingError",
    "translate_errors",
]


class AwsError(core.ServiceError):
    """An AWS call failed. ``code`` is AWS's error code (``NoSuchKey``...) when there is one,
    ``resource`` what the call was about."""


class ResourceNotFoundError(AwsError, core.ResourceNotFoundError):
    """The bucket, key, secret, parameter, function, job or job definition does not exist."""


class ResourceExistsError(AwsError, core.ResourceExistsError):
    """The resource already exists (creating a secret or a bucket that is there)."""


class AccessDeniedError(AwsError, core.AccessDeniedError):
    """No credentials were found, they are wrong or expired, or they may not do this."""


class InvalidRequestError(AwsError, ValueError):
    """AWS rejected a value of the request (a malformed name, a bad parameter)."""


class ThrottlingError(AwsError, core.ThrottledError):
    """AWS asked to slow down or was briefly unavailable; the same call may succeed later."""


class AwsConnectionError(AwsError, core.ServiceUnreachableError):
    """The AWS endpoint could not be reached."""


class JobFailedError(AwsError, core.JobFailedError):
    """A Lambda invocation, Batch job or Glue job run ended in failure; the message quotes
    the reason AWS or the function gave."""


class JobTimeoutError(AwsError, core.JobTimeoutError):
    """A job did not finish within the time it was given; it may still be running."""


_NOT_FOUND_CODES = frozenset(
    {
        "404",
        "NotFound",
        "NoSuchBucket",
        "NoSuchKey",
        "NoSuchUpload",
        "NoSuchVersion",
        "ResourceNotFoundException",
        "ParameterNotFound",
        "ParameterVersionNotFound",
        "EntityNotFoundException",
        "JobNotFound",
    }
)
_EXISTS_CODES = frozenset(
    {
        "ResourceExistsException",
        "ParameterAlreadyExists",
        "AlreadyExistsException",
        "BucketAlreadyExists",
        "BucketAlreadyOwnedByYou",
        "ResourceConflictException",
    }
)
_ACCESS_CODES = frozenset(
    {
        "403",
        "AccessDenied",
        "AccessDeniedException",
        "AllAccessDisabled",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "MissingAuthenticationToken",
    }
)
_THROTTLING_CODES = frozenset(
    {
        "429",
        "503",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ProvisionedThroughputExceededException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "TransactionInProgressException",
        "ConcurrentRunsExceededException",
    }
)
_INVALID_CODES = frozenset(
    {
        "400",
        "ValidationException",
        "ValidationError",
        "InvalidParameterException",
        "InvalidParameterValueException",
        "InvalidParameterValue",
        "InvalidRequestException",
        "InvalidRequest",
        "InvalidArgument",
        "InvalidBucketName",
        "InvalidInputException",
        "ClientException",
        "MalformedPolicyDocument",
    }
)


def error_class_for(code: str, status: int | None = None) -> type[AwsError]:
    """The class an AWS error code (or, failing that, HTTP status) translates to."""
    if code in _NOT_FOUND_CODES or code.endswith("NotFoundException"):
        return ResourceNotFoundError
    if code in _EXISTS_CODES:
        return ResourceExistsError
    if code in _ACCESS_CODES:
        return AccessDeniedError
    if code in _THROTTLING_CODES or "Throttl" in code:
        return ThrottlingError
    if code in _INVALID_CODES:
        return InvalidRequestError
    if status == 404:
        return ResourceNotFoundError
    if status == 403:
        return AccessDeniedError
    if status in (429, 503):
        return ThrottlingError
    return AwsError


def _from_xml_body(body: str, code: str) -> tuple[str, str]:
    import re

    found_code = re.search(r"<Code>([^<]{1,200})</Code>", body)
    found_message = re.search(r"<Message>([^<]{0,2000})</Message>", body)
    if found_code and code.isdigit():
        code = found_code.group(1).strip()
    return code, found_message.group(1).strip() if found_message else "(no message)"


def _says_missing(message: str) -> bool:
    text = message.lower()
    return "does not exist" in text or "not found" in text


def _from_client_error(exc: Any, action: str, resource: str) -> AwsError:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    code = str(error.get("Code") or "Unknown")
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    message = str(error.get("Message") or "").strip()
    if message.startswith("<"):
        # A JSON-protocol client that got an XML error body (proxies, emulators): keep its text.
        code, message = _from_xml_body(message, code)
    if not message and code in ("404", "NotFound"):
        message = "not found"
    elif not message and code == "403":
        message = "forbidden"
    cls = error_class_for(code, status)
    if cls is InvalidRequestError and code == "ClientException" and _says_missing(message):
        # Batch (and a few other services) report a missing queue or definition this way.
        cls = ResourceNotFoundError
    text = f"{action} {resource}: {message or code} ({code})"
    if cls is AccessDeniedError:
        text += (
            "; check the credentials block (or the default credential chain) and its permissions"
        )
    return cls(text, code=code, resource=resource)


def translate_errors(action: str, resource: str) -> AbstractContextManager[None]:
    """Translate botocore exceptions raised in the block into :class:`AwsError` subclasses.

    ``action`` is a verb phrase (``"download"``, ``"read secret"``), ``resource``
    what it was about (``"s3://bucket/key"``). Headwater's own errors pass through.
    """
    return translating(translate_exception, action=action, resource=resource)


def translate_exception(exc: BaseException, action: str, resource: str) -> AwsError | None:
    """The :class:`AwsError` for a botocore/boto3 exception, or ``None`` for anything else."""
    from botocore import exceptions as bce

    if isinstance(exc, bce.ClientError):
        return _from_client_error(exc, action, resource)
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return AccessDeniedError(
            f"{action} {resource}: no usable AWS credentials ({type(exc).__name__}): set them "
            "on the AwsCredentials block, or in the environment, a profile or an instance role",
            code=type(exc).__name__,
            resource=resource,
        )
    if isinstance(exc, bce.ProfileNotFound):
        return InvalidRequestError(
            f"{action} {resource}: {exc}: check profile_name on the AwsCredentials block "
            "(or AWS_PROFILE) against the shared config and credentials files",
            code="ProfileNotFound",
            resource=resource,
        )
    if isinstance(exc, bce.NoRegionError):
        return InvalidRequestError(
            f"{action} {resource}: no AWS region: set region_name on the AwsCredentials block "
            "or AWS_DEFAULT_REGION",
            code="NoRegionError",
            resource=resource,
        )
    if isinstance(exc, bce.ParamValidationError):
        return InvalidRequestError(
            f"{action} {resource}: invalid request: {exc}",
            code="ParamValidationError",
            resource=resource,
        )
    if isinstance(
        exc, bce.EndpointConnectionError | bce.ConnectTimeoutError | bce.ConnectionClosedError
    ):
        return AwsConnectionError(
            f"{action} {resource}: cannot reach AWS: {exc}",
            code=type(exc).__name__,
            resource=resource,
        )
    if isinstance(exc, bce.ReadTimeoutError):
        return ThrottlingError(
            f"{action} {resource}: AWS did not answer in time: {exc}",
            code="ReadTimeoutError",
            resource=resource,
        )
    try:
        from boto3.exceptions import S3UploadFailedError
    except ImportError:  # pragma: no cover - boto3 always has it
        return None
    if isinstance(exc, S3UploadFailedError):
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            inner = translate_exception(cause, action, resource)
            if inner is not None:
                return inner
        return AwsError(f"{action} {resource}: {exc}", resource=resource)
    return None
