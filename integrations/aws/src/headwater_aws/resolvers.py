"""What ``aws-sm://`` and ``aws-ssm://`` secret references share: ARN regions, clients, a cache.

A reference names a secret (or parameter), optionally a key of its JSON value
and, for Secrets Manager, a version, in URL order::

    aws-sm://prod/db                      the whole SecretString
    aws-sm://prod/db#password             one key of the JSON object it holds
    aws-sm://prod/db?version_stage=AWSPREVIOUS#password
    aws-sm://arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf
    aws-ssm:///prod/db/password           the parameter "/prod/db/password"

The resolvers reach AWS through boto3's default credential chain (environment,
shared files, instance or task role) and honour ``AWS_ENDPOINT_URL``; there
is one client per (service, region), created under a lock. An ARN picks the
region; otherwise the chain's default region applies.

Resolved values are kept for a short while, so a flow that builds many blocks
does not call AWS for each: ``HEADWATER_AWS_SECRET_CACHE_SECONDS`` (default
60, ``0`` turns the cache off). :func:`clear_secret_cache` forgets them.

Parsing, JSON keys, masking and the cache itself are the core's
(:mod:`headwater.blocks.references`); this module keeps what is AWS's.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any

from headwater.blocks.references import (
    ParsedReference,
    ResolverCache,
    extract_json_key,
    parse_reference,
    register_secret_value,
)

__all__ = [
    "CACHE_SECONDS_VARIABLE",
    "DEFAULT_CACHE_SECONDS",
    "ParsedReference",
    "arn_region",
    "cache_seconds",
    "cached_resolve",
    "clear_secret_cache",
    "default_client",
    "extract_json_key",
    "parse_reference",
    "register_secret_value",
]

CACHE_SECONDS_VARIABLE = "HEADWATER_AWS_SECRET_CACHE_SECONDS"
DEFAULT_CACHE_SECONDS = 60.0


def arn_region(name: str) -> str | None:
    """The region of an ARN (``arn:partition:service:region:account:...``), else ``None``."""
    if not name.startswith("arn:"):
        return None
    parts = name.split(":", 5)
    if len(parts) < 6 or not parts[3]:
        return None
    return parts[3]


# -- clients ---------------------------------------------------------------------------

_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()


def default_client(service: str, region: str | None = None) -> Any:
    """A client of ``service`` on boto3's default credential chain (one per service and region)."""
    key = (service, region)
    client = _clients.get(key)
    if client is not None:
        return client
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3

            # A session of its own: boto3's default session is not thread-safe.
            session = boto3.session.Session(region_name=region)
            client = session.client(service)  # type: ignore[call-overload]
            _clients[key] = client
    return client


# -- the cache -------------------------------------------------------------------------


def cache_seconds() -> float:
    """How long a resolved value is kept, from ``HEADWATER_AWS_SECRET_CACHE_SECONDS``."""
    raw = os.environ.get(CACHE_SECONDS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_CACHE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"{CACHE_SECONDS_VARIABLE} must be a number of seconds, 0 or more "
            f"(0 turns the cache off), not {raw!r}"
        )
    return seconds


_cache = ResolverCache(ttl_seconds=cache_seconds)


def cached_resolve(reference: str, load: Callable[[], str]) -> str:
    """``load()``'s value for ``reference``, reused for ``HEADWATER_AWS_SECRET_CACHE_SECONDS``."""
    return _cache.get(reference, load)


def clear_secret_cache() -> None:
    """Forget every cached resolved value, and the resolvers' clients (so the next
    resolution reads the environment's credentials, region and endpoint again)."""
    _cache.clear()
    with _clients_lock:
        _clients.clear()
