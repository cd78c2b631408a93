"""Cache policies: what a task run's cache key is made of.

A cache key names the result record of a task run: a later run with the same
key reads that record instead of running again. A policy computes the key
from the task run's context, its inputs and its flow's parameters, or
returns ``None`` for "do not cache this run".

Policies compose: ``INPUTS + TASK_SOURCE`` hashes both parts (parts that give
``None`` are left out; if all do, the result is ``None``), and
``INPUTS - "client"`` leaves one input out of the key. ``DEFAULT`` is
``INPUTS + TASK_SOURCE + RUN_ID``: a task called again with the same inputs
within the same flow run reuses its result.

Secrets in inputs and parameters (``SecretStr`` fields of blocks, say) count
by their values: they go into the key through a keyed hash
(:func:`secret_hash_key`), so two blocks that differ only in a password never
share a cached result, and a key reveals nothing of the password.

A policy that cannot hash what it must (an input holding a lock, say) raises
:class:`UnhashableInputsError`, never a silently weaker key: a key missing an
input would make runs with different inputs share a result.
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headwater._hashing import hash_objects
from headwater.errors import HeadwaterError

if TYPE_CHECKING:
    from headwater.context import TaskRunContext

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NONE",
    "NO_CACHE",
    "RUN_ID",
    "TASK_SOURCE",
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "FlowParameters",
    "Inputs",
    "NoCache",
    "RunId",
    "TaskSource",
    "UnhashableInputsError",
    "secret_hash_key",
    "source_hash",
    "task_input_hash",
]


class UnhashableInputsError(HeadwaterError, ValueError):
    """A cache policy could not hash the values its key depends on."""


def secret_hash_key() -> bytes:
    """The key of the keyed hash of secrets in cache keys.

    Derived from the installation's encryption key (``HEADWATER_ENCRYPTION_KEY``
    or ``<HEADWATER_HOME>/encryption.key``), never stored: hosts that share that
    key share cache keys of inputs holding secrets, and nobody without it can
    test a guessed password against a cache key.
    """
    # Deferred: only inputs holding secrets need it (and the store package costs import time).
    from headwater._store.encryption import derived_key

    return derived_key("cache-keys")


class CachePolicy:
    """Computes a task run's cache key; ``None`` means "no caching for this run"."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        raise NotImplementedError

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        return CompoundCachePolicy.of(self, other)

    def __sub__(self, other: str) -> CachePolicy:
        """Leave input ``other`` out of the key (a no-op for policies that ignore inputs)."""
        if not isinstance(other, str):
            raise TypeError(
                f"only an input name can be subtracted from a cache policy, not {type(other).__name__}"
            )
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NoCache(CachePolicy):
    """Never cache. Absorbs composition: ``NO_CACHE + INPUTS`` is still no caching."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        return self

    def __radd__(self, other: CachePolicy) -> CachePolicy:
        return self


class _NoneKey(CachePolicy):
    """Contributes nothing: on its own, no caching; in a compound, ignored."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return None


@dataclass(frozen=True, eq=True, repr=False)
class CompoundCachePolicy(CachePolicy):
    """The hash of several policies' keys; parts giving ``None`` are skipped."""

    policies: tuple[CachePolicy, ...] = ()

    @classmethod
    def of(cls, *policies: CachePolicy) -> CachePolicy:
        flat: list[CachePolicy] = []
        for policy in policies:
            if isinstance(policy, NoCache):
                return policy
            flat.extend(policy.policies if isinstance(policy, CompoundCachePolicy) else (policy,))
        return cls(tuple(flat))

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        keys = [p.compute_key(task_ctx, inputs, flow_parameters, **kwargs) for p in self.policies]
        parts = [k for k in keys if k is not None]
        if not parts:
            return None
        # Parts are strings already; a separator that cannot occur in them keeps them apart.
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            raise TypeError(
                f"only an input name can be subtracted from a cache policy, not {type(other).__name__}"
            )
        return CompoundCachePolicy(tuple(p - other for p in self.policies))

    def __repr__(self) -> str:
        return " + ".join(repr(p) for p in self.policies) or "CompoundCachePolicy()"


@dataclass(frozen=True, eq=True, repr=False)
class Inputs(CachePolicy):
    """The task run's inputs (its bound arguments), minus ``exclude``."""

    exclude: frozenset[str] = field(default_factory=frozenset)

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        kept = (
            {k: v for k, v in inputs.items() if k not in self.exclude} if self.exclude else inputs
        )
        key = hash_objects(kept, secret_key=secret_hash_key)
        if key is None:
            raise UnhashableInputsError(_unhashable_message(kept, "input"))
        return key

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            raise TypeError(
                f"only an input name can be subtracted from a cache policy, not {type(other).__name__}"
            )
        return Inputs(self.exclude | {other})

    def __repr__(self) -> str:
        if not self.exclude:
            return "INPUTS"
        return "INPUTS - " + " - ".join(repr(n) for n in sorted(self.exclude))


def _unhashable_message(values: dict[str, Any], what: str) -> str:
    bad = [
        name
        for name, value in values.items()
        if hash_objects(value, secret_key=secret_hash_key) is None
    ]
    names = ", ".join(repr(n) for n in bad) or "(unknown)"
    return (
        f"cannot compute a cache key: {what} {names} can be neither JSON-encoded nor pickled; "
        f"exclude it (cache_policy=INPUTS - {bad[0]!r}), pass a cache_key_fn, or use NO_CACHE"
        if bad
        else f"cannot compute a cache key: the {what}s can be neither JSON-encoded nor pickled"
    )


_source_hashes: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_source_hashes_strong: dict[int, tuple[Any, str]] = {}
_source_lock = threading.Lock()


def _code_fingerprint(code: Any) -> list[Any]:
    consts = [
        _code_fingerprint(c) if inspect.iscode(c) else repr(c)
        for c in getattr(code, "co_consts", ())
    ]
    return [code.co_code.hex(), list(code.co_names), consts]


def source_hash(fn: Callable[..., Any]) -> str:
    """Hash of ``fn``'s source text (or of its code object when the source is unavailable), cached per function."""
    try:
        cached = _source_hashes.get(fn)
    except TypeError:
        entry = _source_hashes_strong.get(id(fn))
        cached = entry[1] if entry is not None and entry[0] is fn else None
    if cached is not None:
        return cached
    target = inspect.unwrap(fn)
    try:
        text: Any = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        text = (
            _code_fingerprint(code)
            if code is not None
            else getattr(target, "__qualname__", repr(target))
        )
    digest = hash_objects(text) or ""
    with _source_lock:
        try:
            _source_hashes[fn] = digest
        except TypeError:
            _source_hashes_strong[id(fn)] = (fn, digest)
    return digest


class TaskSource(CachePolicy):
    """The task function's source code: editing the function invalidates its cache."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return source_hash(task_ctx.task.fn)

    def __repr__(self) -> str:
        return "TASK_SOURCE"


class FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        key = hash_objects(flow_parameters, secret_key=secret_hash_key)
        if key is None:
            raise UnhashableInputsError(_unhashable_message(flow_parameters, "flow parameter"))
        return key

    def __repr__(self) -> str:
        return "FLOW_PARAMETERS"


class RunId(CachePolicy):
    """The flow run's id (the task run's own id outside a flow): caching within one run only."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        return task_ctx.flow_run_id or task_ctx.task_run_id

    def __repr__(self) -> str:
        return "RUN_ID"


class CacheKeyFnPolicy(CachePolicy):
    """Wraps a Prefect-style ``cache_key_fn(context, arguments) -> str | None``."""

    def __init__(
        self, cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None]
    ) -> None:
        if not callable(cache_key_fn):
            raise TypeError(f"cache_key_fn must be callable, not {type(cache_key_fn).__name__}")
        self.cache_key_fn = cache_key_fn

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        key = self.cache_key_fn(task_ctx, inputs)
        if key is not None and not isinstance(key, str):
            raise TypeError(f"cache_key_fn must return a str or None, not {type(key).__name__}")
        return key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CacheKeyFnPolicy) and other.cache_key_fn is self.cache_key_fn

    def __hash__(self) -> int:
        return hash(self.cache_key_fn)

    def __repr__(self) -> str:
        return (
            f"CacheKeyFnPolicy({getattr(self.cache_key_fn, '__qualname__', self.cache_key_fn)!r})"
        )


def task_input_hash(context: TaskRunContext, arguments: dict[str, Any]) -> str | None:
    """A ``cache_key_fn``: the hash of the task's key, code and arguments; ``None`` if they cannot be hashed."""
    task = context.task
    code = getattr(getattr(task, "fn", None), "__code__", None)
    return hash_objects(
        getattr(task, "task_key", None),
        code.co_code.hex() if code else None,
        arguments,
        secret_key=secret_hash_key,
    )


INPUTS: CachePolicy = Inputs()
TASK_SOURCE: CachePolicy = TaskSource()
FLOW_PARAMETERS: CachePolicy = FlowParameters()
RUN_ID: CachePolicy = RunId()
NONE: CachePolicy = _NoneKey()
NO_CACHE: CachePolicy = NoCache()
DEFAULT: CachePolicy = INPUTS + TASK_SOURCE + RUN_ID
