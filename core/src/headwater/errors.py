"""Headwater's exceptions.

Every error Headwater raises on purpose derives from :class:`HeadwaterError`,
so ``except HeadwaterError`` catches them all. Where a builtin already names
the problem the error also derives from it (``TimeoutError``, ``ValueError``,
``LookupError``), so code written against builtins keeps working.

    HeadwaterError
    ├── ConfigurationError (ValueError)       a setting or option has a bad value
    ├── ParameterValidationError (ValueError) a flow got a parameter it cannot accept
    ├── RunTimeoutError (TimeoutError)        a task or flow ran past timeout_seconds
    ├── UnfinishedRun                         a state's result was asked for before it finished
    ├── MissingContextError (RuntimeError)    used outside a flow or task run
    ├── MissingResult                         a result was not kept (persist_result=False)
    ├── ResultNotFound (LookupError)          a persisted result record is gone
    ├── ObjectNotFound (LookupError)          the store has no such run, limit or record
    ├── ObjectAlreadyExists (ValueError)      the store already has an object by that name
    ├── StoreError                            the store could not read or write
    │   └── SchemaVersionError                the database is newer than this Headwater
    ├── AuthorizationError (PermissionError)  the server refused the token or its role
    ├── InvalidStateTransition (ValueError)   a run cannot go to that state (cancel a finished run)
    ├── InvalidRequest (ValueError)           the server rejected a request's values (HTTP 422)
    ├── TransientError                        a service is busy or briefly down: safe to retry
    ├── CancelledRun                          a run was cancelled
    └── ServiceError                          a call to an outside service failed (.code, .resource)
        ├── ResourceNotFoundError (FileNotFoundError)  no such bucket, object, secret, job...
        ├── ResourceExistsError (FileExistsError)      the resource already exists
        ├── AccessDeniedError (PermissionError)        credentials missing, wrong or not allowed
        ├── ThrottledError (TransientError)            rate limited or briefly unavailable: retry
        ├── ServiceUnreachableError (ConnectionError)  the service could not be reached
        ├── JobFailedError                             a job that ran elsewhere failed (its reason)
        └── JobTimeoutError (TimeoutError)             waiting for a job ran past its timeout

Integrations translate their vendor's exceptions into the :class:`ServiceError`
family (:func:`headwater.translation.translating`), deriving their own classes
from both their vendor base and these (``headwater_aws.ResourceNotFoundError``
is an ``AwsError`` and a :class:`ResourceNotFoundError`), so
``except headwater.errors.ResourceNotFoundError`` works whatever the vendor,
and ``retry_condition_fn=retry_on_transient_errors`` (:mod:`headwater.retries`)
retries exactly the throttling errors.
"""

from __future__ import annotations

from headwater.masking import mask_secrets

__all__ = [
    "AccessDeniedError",
    "AuthorizationError",
    "CancelledRun",
    "ConfigurationError",
    "HeadwaterError",
    "InvalidRequest",
    "InvalidStateTransition",
    "JobFailedError",
    "JobTimeoutError",
    "MissingContextError",
    "MissingResult",
    "ObjectAlreadyExists",
    "ObjectNotFound",
    "ParameterValidationError",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ResultNotFound",
    "RunTimeoutError",
    "SchemaVersionError",
    "ServiceError",
    "ServiceUnreachableError",
    "StoreError",
    "ThrottledError",
    "TransientError",
    "UnfinishedRun",
]


class HeadwaterError(Exception):
    """Base class of every error Headwater raises on purpose."""


class ConfigurationError(HeadwaterError, ValueError):
    """A setting or decorator option has a value Headwater cannot use."""


class ParameterValidationError(HeadwaterError, ValueError):
    """A flow was called with parameters that do not match its signature or type hints."""


class RunTimeoutError(HeadwaterError, TimeoutError):
    """A task or flow ran longer than its ``timeout_seconds``."""


class UnfinishedRun(HeadwaterError):
    """The result of a state was requested before the run reached a final state."""


class MissingResult(HeadwaterError):
    """The run finished but its result was not kept."""


class ResultNotFound(HeadwaterError, LookupError):
    """A persisted result record could not be found in its result storage."""


class ObjectNotFound(HeadwaterError, LookupError):
    """The store has no object with the given id or name."""


class ObjectAlreadyExists(HeadwaterError, ValueError):
    """The store already has an object with that name (and overwriting was not asked for)."""


class StoreError(HeadwaterError):
    """The store failed to read or write."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this version of Headwater understands."""


class AuthorizationError(HeadwaterError, PermissionError):
    """The server refused the request: no token, a wrong token, or a role that may not do this."""


class InvalidStateTransition(HeadwaterError, ValueError):
    """A run cannot move to the requested state, e.g. cancelling a run that already finished."""


class InvalidRequest(HeadwaterError, ValueError):
    """The server rejected a request's values (HTTP 422); the message quotes its ``detail``."""


class TransientError(HeadwaterError):
    """A service refused a call for now (throttling, rate limits, brief unavailability).

    The same call is expected to succeed later, so it is safe to retry:
    ``@task(retries=3, retry_condition_fn=retry_on_transient_errors)``.
    """


class CancelledRun(HeadwaterError):
    """The run was cancelled."""


class MissingContextError(HeadwaterError, RuntimeError):
    """Something that needs a running flow or task was used outside one."""


# -- errors of outside services (the integration kit) ---------------------------------


class ServiceError(HeadwaterError):
    """A call to an outside service (a cloud API, a database, a job runner) failed.

    ``code`` is the service's own error code (``NoSuchKey``, ``403``...) when
    there is one, ``resource`` what the call was about (``s3://bucket/key``).
    The message goes through the secret masker, so a credential that slipped
    into it is never shown.
    """

    def __init__(self, message: str, *, code: str | None = None, resource: str | None = None):
        super().__init__(mask_secrets(message))
        self.code = code
        self.resource = resource


class ResourceNotFoundError(ServiceError, FileNotFoundError):
    """The bucket, object, secret, parameter, function, job or definition does not exist."""


class ResourceExistsError(ServiceError, FileExistsError):
    """The resource already exists (creating a secret or a bucket that is there)."""


class AccessDeniedError(ServiceError, PermissionError):
    """No credentials were found, they are wrong or expired, or they may not do this."""


class ThrottledError(ServiceError, TransientError):
    """The service asked to slow down or was briefly unavailable; the same call may succeed later."""


class ServiceUnreachableError(ServiceError, ConnectionError):
    """The service's endpoint could not be reached."""


class JobFailedError(ServiceError):
    """A job that ran elsewhere (a function, a batch or ETL job) ended in failure; the message
    quotes the reason the service or the job gave."""


class JobTimeoutError(ServiceError, TimeoutError):
    """A job did not finish within the time it was given; it may still be running."""
