"""What ``aws-sm://`` and ``aws-ssm://`` secret references share: parsing, clients, a short cache.

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
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from headwater.masking import register_secret

__all__ = [
    "CACHE_SECONDS_VARIABLE",
    "DEFAULT_CACHE_SECONDS",
    "ParsedReference",
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


@dataclass(frozen=True)
class ParsedReference:
    """The parts of a reference: the name (or ARN), the JSON key, the query and the ARN's region."""

    reference: str
    name: str
    json_key: str | None
    query: dict[str, str]
    region: str | None


def parse_reference(reference: str, scheme: str, *, what: str = "secret") -> ParsedReference:
    """Split ``<scheme>://<name>[?query][#json-key]``; ValueError naming the reference when
    it is malformed. ``what`` (``"secret"``, ``"parameter"``) is used in messages."""
    prefix = f"{scheme}://"
    if not isinstance(reference, str) or not reference.startswith(prefix):
        raise ValueError(f"{reference!r} is not an {prefix} reference")
    rest = reference[len(prefix) :]
    json_key: str | None = None
    if "#" in rest:
        rest, json_key = rest.split("#", 1)
        if not json_key:
            raise ValueError(
                f"{reference!r} has an empty JSON key after '#'; "
                f"write {prefix}<{what}>#<key> or leave out the '#'"
            )
    query: dict[str, str] = {}
    if "?" in rest:
        rest, raw_query = rest.split("?", 1)
        try:
            pairs = parse_qsl(raw_query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise ValueError(f"{reference!r} has a malformed query {raw_query!r}") from None
        for key, value in pairs:
            if key in query:
                raise ValueError(f"{reference!r} gives {key!r} twice")
            query[key] = value
    if not rest:
        raise ValueError(f"{reference!r} names no {what}; write {prefix}<{what} name>")
    return ParsedReference(
        reference=reference, name=rest, json_key=json_key, query=query, region=arn_region(rest)
    )


def arn_region(name: str) -> str | None:
    """The region of an ARN (``arn:partition:service:region:account:...``), else ``None``."""
    if not name.startswith("arn:"):
        return None
    parts = name.split(":", 5)
    if len(parts) < 6 or not parts[3]:
        return None
    return parts[3]


def register_secret_value(value: str) -> None:
    """Mask ``value`` in run logs; when it is a JSON document, mask each of its strings too,
    so printing one field of a JSON secret (a password) is masked as well."""
    register_secret(value)
    if not value.lstrip().startswith(("{", "[")):
        return
    try:
        document = json.loads(value)
    except ValueError:
        return
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            register_secret(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def extract_json_key(value: str, parsed: ParsedReference, *, what: str = "secret") -> str:
    """The ``#key`` of the JSON object ``value`` (a string as is, anything else as compact JSON).

    Errors name the reference and never quote the value.
    """
    key = parsed.json_key
    if key is None:
        return value
    register_secret_value(value)  # the whole document is as secret as the key taken from it
    try:
        document = json.loads(value)
    except ValueError:
        document = None  # chaining the decode error would keep the value in ``doc``
    if not isinstance(document, dict):
        raise ValueError(
            f"the {what} of {parsed.reference!r} is not a JSON object, so it has no key {key!r}"
        )
    if key not in document:
        raise LookupError(f"the JSON object of {parsed.reference!r} has no key {key!r}")
    item = document[key]
    if isinstance(item, str):
        return item
    return json.dumps(item, separators=(",", ":"), ensure_ascii=False)


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


class _TtlCache:
    """Values by key for a while; one load per key at a time; ``clear()`` wins over loads in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str]] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._generation = 0

    def _fresh(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if time.monotonic() < expires:
            return value
        del self._entries[key]
        return None

    def get_or_load(self, key: str, ttl: float, load: Callable[[], str]) -> str:
        if ttl <= 0:
            return load()
        with self._lock:
            value = self._fresh(key)
            if value is not None:
                return value
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                value = self._fresh(key)
                if value is not None:
                    return value
                generation = self._generation
            value = load()
            with self._lock:
                if generation == self._generation:
                    self._entries[key] = (time.monotonic() + ttl, value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._loading.clear()
            self._generation += 1


_cache = _TtlCache()


def cached_resolve(reference: str, load: Callable[[], str]) -> str:
    """``load()``'s value for ``reference``, reused for ``HEADWATER_AWS_SECRET_CACHE_SECONDS``."""
    return _cache.get_or_load(reference, cache_seconds(), load)


def clear_secret_cache() -> None:
    """Forget every cached resolved value, and the resolvers' clients (so the next
    resolution reads the environment's credentials, region and endpoint again)."""
    _cache.clear()
    with _clients_lock:
        _clients.clear()
