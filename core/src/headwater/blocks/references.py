"""Building blocks for secret reference resolvers (``aws-sm://``, ``gcp-sm://``, ``vault://``...).

A resolver registered with :func:`~headwater.blocks.register_secret_resolver`
gets a reference such as ``scheme://name?option=value#json-key`` and returns
the secret. What every resolver needs, whatever the backend:

- :func:`parse_reference` splits the reference into name, query options and
  JSON key, with errors that name the reference;
- :func:`extract_json_key` takes one key out of a JSON secret (errors name the
  reference and the key, never the value), and :func:`register_secret_value`
  masks the value and every string of a JSON value in logs;
- :func:`cached_resolver` keeps resolved values for a while, so a flow that
  builds many blocks does not call the backend for each: concurrent misses for
  one reference call the backend once, failures are not kept, and a TTL of 0
  turns the cache off.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from headwater.masking import register_secret

__all__ = [
    "CachedResolver",
    "ParsedReference",
    "ResolverCache",
    "cached_resolver",
    "extract_json_key",
    "parse_reference",
    "register_secret_value",
]


@dataclass(frozen=True)
class ParsedReference:
    """The parts of ``scheme://name?query#json-key``."""

    reference: str
    name: str
    json_key: str | None = None
    query: dict[str, str] = field(default_factory=dict)


def parse_reference(reference: str, scheme: str, *, what: str = "secret") -> ParsedReference:
    """Split ``<scheme>://<name>[?query][#json-key]``.

    ValueError naming the reference when it does not start with the scheme,
    names nothing, has an empty ``#`` key, a malformed query or an option
    given twice. ``what`` (``"secret"``, ``"parameter"``) is used in messages.
    """
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
    return ParsedReference(reference=reference, name=rest, json_key=json_key, query=query)


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
    """The ``#key`` of the JSON object ``value`` (a string as is, anything else as compact
    JSON); ``value`` itself when the reference has no key.

    The whole value is registered with the masker first. ValueError when the
    value is not a JSON object, LookupError when the key is missing; both name
    the reference and never quote the value.
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


TtlSeconds = float | Callable[[], float]
"""A number of seconds, or a function read on every lookup (a setting that may change)."""


class ResolverCache:
    """Resolved values by reference, each kept for ``ttl_seconds``.

    One load per reference at a time (concurrent misses wait for the first),
    failures are not kept, ``ttl_seconds`` of 0 (or less) turns caching off,
    and :meth:`clear` wins over loads in flight (their values are not kept).
    """

    def __init__(self, ttl_seconds: TtlSeconds = 60.0) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str]] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._generation = 0

    @property
    def ttl_seconds(self) -> float:
        ttl = self._ttl
        return float(ttl() if callable(ttl) else ttl)

    def _fresh(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if time.monotonic() < expires:
            return value
        del self._entries[key]
        return None

    def get(self, key: str, load: Callable[[], str]) -> str:
        """The value kept for ``key``, else ``load()``'s (kept for the TTL)."""
        ttl = self.ttl_seconds
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
                    self._loading.pop(key, None)
            return value

    def clear(self) -> None:
        """Forget every value (loads in flight keep theirs to themselves)."""
        with self._lock:
            self._entries.clear()
            self._loading.clear()
            self._generation += 1


class CachedResolver:
    """A resolver wrapped by :func:`cached_resolver`; ``.cache`` is its :class:`ResolverCache`."""

    def __init__(self, resolver: Callable[[str], str], cache: ResolverCache) -> None:
        self.resolver = resolver
        self.cache = cache
        functools.update_wrapper(self, resolver)

    def __call__(self, reference: str) -> str:
        return self.cache.get(reference, lambda: self.resolver(reference))

    def cache_clear(self) -> None:
        """Forget every value resolved so far."""
        self.cache.clear()


def cached_resolver(
    ttl_seconds: TtlSeconds = 60.0, *, cache: ResolverCache | None = None
) -> Callable[[Callable[[str], str]], CachedResolver]:
    """Decorate a resolver so its values are kept for ``ttl_seconds`` (0: not at all)::

        @cached_resolver(ttl_seconds=30)
        def resolve_vault_reference(reference: str) -> str: ...

        register_secret_resolver("vault", resolve_vault_reference)

    ``ttl_seconds`` may be a function, read on every call (a setting). Several
    resolvers can share one ``cache`` (one ``clear()`` for all).
    """

    def decorate(resolver: Callable[[str], str]) -> CachedResolver:
        return CachedResolver(resolver, cache if cache is not None else ResolverCache(ttl_seconds))

    return decorate
