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
    └── CancelledRun                          a run was cancelled

Integrations hang their own trees under :class:`HeadwaterError` (``AwsError``
in ``headwater-aws``...) and derive throttling errors from
:class:`TransientError`, so ``retry_condition_fn=retry_on_transient_errors``
(:mod:`headwater.retries`) retries exactly those.
"""

from __future__ import annotations

__all__ = [
    "AuthorizationError",
    "CancelledRun",
    "ConfigurationError",
    "HeadwaterError",
    "InvalidRequest",
    "InvalidStateTransition",
    "MissingContextError",
    "MissingResult",
    "ObjectAlreadyExists",
    "ObjectNotFound",
    "ParameterValidationError",
    "ResultNotFound",
    "RunTimeoutError",
    "SchemaVersionError",
    "StoreError",
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
