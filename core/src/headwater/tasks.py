"""Tasks: ``@task`` turns a function into a tracked, retryable, cacheable unit of work.

Calling a task inside a flow runs it at once in the caller's thread and
returns its result; ``.submit`` hands it to the flow's task runner and returns
a :class:`~headwater.futures.HeadwaterFuture`; ``.map`` submits one run per
element of its iterable arguments. Everything that can be worked out from the
function alone is worked out here, at decoration time, so a call costs little.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
import json
import os
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, ParamSpec, TypeVar, overload

from headwater._engine.annotations import allow_failure, unmapped
from headwater._engine.hooks import check_hooks
from headwater._engine.options import (
    check_bool,
    check_callable,
    check_name,
    check_retries,
    check_run_name,
    check_tags,
    check_timedelta,
    check_timeout,
)
from headwater._engine.parameters import CallSpec
from headwater.cache_policies import task_input_hash
from headwater.errors import ConfigurationError
from headwater.retries import exponential_backoff
from headwater.serializers import get_serializer

if TYPE_CHECKING:
    from headwater.cache_policies import task_input_hash
    from headwater.futures import HeadwaterFuture, HeadwaterFutureList
    from headwater.retries import exponential_backoff

__all__ = ["Task", "allow_failure", "exponential_backoff", "task", "task_input_hash", "unmapped"]


def __getattr__(name: str) -> Any:
    # Prefect users import these two from the tasks module; load their homes only when asked.
    if name == "exponential_backoff":
        return exponential_backoff
    if name == "task_input_hash":
        return task_input_hash
    raise AttributeError(f"module 'headwater.tasks' has no attribute {name!r}")


P = ParamSpec("P")
R = TypeVar("R")


class _NotSet:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NotSet"


NotSet: Any = _NotSet()
"""Marks an option the user did not pass (``None`` can be a meaningful value)."""


def _task_key(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    where = f"{getattr(code, 'co_filename', '?')}:{getattr(code, 'co_firstlineno', 0)}"
    digest = hashlib.blake2b(where.encode(), digest_size=6).hexdigest()
    return f"{getattr(fn, '__qualname__', type(fn).__name__)}-{digest}"


class Task(Generic[P, R]):
    """A function made into a Headwater task; see :func:`task` for the options."""

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        cache_policy: Any = NotSet,
        cache_key_fn: Callable[..., str | None] | None = None,
        cache_expiration: _dt.timedelta | None = None,
        task_run_name: str | Callable[[], str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float
        | Sequence[float]
        | Callable[[int], Sequence[float]]
        | None = None,
        retry_jitter_factor: float | None = None,
        persist_result: bool | None = None,
        result_storage: Any = None,
        result_serializer: Any = None,
        cache_result_in_memory: bool = True,
        timeout_seconds: float | None = None,
        log_prints: bool | None = None,
        refresh_cache: bool | None = None,
        on_completion: Sequence[Callable[..., Any]] | None = None,
        on_failure: Sequence[Callable[..., Any]] | None = None,
        retry_condition_fn: Callable[..., bool] | None = None,
    ) -> None:
        if not callable(fn):
            raise ConfigurationError(f"@task needs a function, got {type(fn).__name__}")
        if isinstance(fn, Task):
            fn = fn.fn
        self.fn: Callable[P, R] = fn
        self.isasync: bool = inspect.iscoroutinefunction(fn)
        self.name: str = (
            check_name(name) if name is not None else getattr(fn, "__name__", type(fn).__name__)
        )
        self.description: str | None = (
            description if description is not None else inspect.getdoc(fn)
        )
        self.version = version
        self.tags: frozenset[str] = check_tags(tags)
        self._sorted_tags: tuple[str, ...] = tuple(sorted(self.tags))
        # ensure_ascii=False: a tag holding a lone surrogate fails at the database, which
        # then stores it escaped (headwater._store.text), never as a "\\ud800" JSON escape.
        self._tags_json = json.dumps(self._sorted_tags, separators=(",", ":"), ensure_ascii=False)
        self.retries, self._retry_delays = check_retries(
            retries, retry_delay_seconds, retry_jitter_factor
        )
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_condition_fn = check_callable(retry_condition_fn, option="retry_condition_fn")
        self.timeout_seconds = check_timeout(timeout_seconds)
        self.cache_key_fn = check_callable(cache_key_fn, option="cache_key_fn")
        self.cache_expiration = check_timedelta(cache_expiration, option="cache_expiration")
        self.refresh_cache = check_bool(refresh_cache, option="refresh_cache")
        self.persist_result = check_bool(persist_result, option="persist_result")
        self.cache_result_in_memory = bool(cache_result_in_memory)
        self.log_prints = check_bool(log_prints, option="log_prints")
        self.task_run_name = check_run_name(task_run_name, option="task_run_name")
        self.on_completion_hooks = check_hooks(on_completion, option="on_completion")
        self.on_failure_hooks = check_hooks(on_failure, option="on_failure")
        if cache_policy is not NotSet and cache_policy is not None and cache_key_fn is not None:
            raise ConfigurationError("cache_policy and cache_key_fn cannot both be set; pick one")
        if (
            cache_policy is not NotSet
            and cache_policy is not None
            and not callable(getattr(cache_policy, "compute_key", None))
        ):
            raise ConfigurationError(
                f"cache_policy must be a CachePolicy, got {type(cache_policy).__name__}"
            )
        self._cache_policy_given = cache_policy
        self.cache_policy: Any = None if cache_policy is NotSet else cache_policy
        explicit_caching = cache_key_fn is not None or (
            cache_policy is not NotSet
            and cache_policy is not None
            and not _is_none_policy(cache_policy)
        )
        if persist_result is False and explicit_caching:
            raise ConfigurationError(
                "persist_result=False cannot be combined with cache_key_fn or cache_policy: caching needs persisted results"
            )
        self._explicit_caching = explicit_caching
        if result_serializer is not None:
            get_serializer(result_serializer)  # fails now, naming the serializer, if it is unknown
        if (
            result_storage is not None
            and not isinstance(result_storage, str | os.PathLike)
            and not (
                callable(getattr(result_storage, "read_path", None))
                and callable(getattr(result_storage, "write_path", None))
            )
        ):
            raise ConfigurationError(
                "result_storage must be a folder path or an object with read_path() and write_path(), "
                f"not {type(result_storage).__name__}"
            )
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.task_key: str = _task_key(fn)
        self._spec = CallSpec(fn)
        self._what = f"task {self.name!r}"
        self._result_store: tuple[object, Any] | None = None
        self._resolved_policy: Any = None
        # What the engine can skip for this task (the hot path checks these flags).
        self._has_hooks = bool(self.on_completion_hooks or self.on_failure_hooks)
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = self.name
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    # -- copies ------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tags": set(self.tags),
            "version": self.version,
            "cache_policy": self._cache_policy_given,
            "cache_key_fn": self.cache_key_fn,
            "cache_expiration": self.cache_expiration,
            "task_run_name": self.task_run_name,
            "retries": self.retries,
            "retry_delay_seconds": self.retry_delay_seconds,
            "retry_jitter_factor": self.retry_jitter_factor,
            "persist_result": self.persist_result,
            "result_storage": self.result_storage,
            "result_serializer": self.result_serializer,
            "cache_result_in_memory": self.cache_result_in_memory,
            "timeout_seconds": self.timeout_seconds,
            "log_prints": self.log_prints,
            "refresh_cache": self.refresh_cache,
            "on_completion": list(self.on_completion_hooks),
            "on_failure": list(self.on_failure_hooks),
            "retry_condition_fn": self.retry_condition_fn,
        }

    def with_options(self, **options: Any) -> Task[P, R]:
        """A copy of this task with some options changed (same names as :func:`task`)."""
        current = self._options()
        unknown = set(options) - set(current)
        if unknown:
            raise ConfigurationError(
                f"with_options got unknown option(s): {', '.join(sorted(unknown))}"
            )
        current.update(options)
        return Task(self.fn, **current)

    # -- hooks as decorators (Prefect style) -------------------------------------
    def on_completion(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.on_completion_hooks = (*self.on_completion_hooks, fn)
        self._has_hooks = True
        return fn

    def on_failure(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.on_failure_hooks = (*self.on_failure_hooks, fn)
        self._has_hooks = True
        return fn

    # -- calling -----------------------------------------------------------------
    @overload
    def __call__(self: Task[P, NoReturn], *args: P.args, **kwargs: P.kwargs) -> None: ...

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task now and return its result (an awaitable for an async task in async code).

        ``return_state=True`` returns the final :class:`~headwater.states.State`
        instead; ``wait_for=[futures]`` waits for those runs first.
        """
        return_state = kwargs.pop("return_state", False) if "return_state" in kwargs else False
        wait_for = kwargs.pop("wait_for", None) if "wait_for" in kwargs else None

        # Deferred: import time; defining a task does not load the task engine (the store, results).
        from headwater._task_dispatch import call_task

        return call_task(
            self, self._spec.bind(args, kwargs, what=self._what), wait_for, return_state
        )

    def submit(self, *args: Any, **kwargs: Any) -> HeadwaterFuture[R]:
        """Run the task on the flow's task runner; a future of its result.

        ``wait_for=[futures]`` makes the run wait for those runs (without
        taking their results); futures among the arguments are waited for and
        replaced by their results.
        """
        wait_for = kwargs.pop("wait_for", None) if "wait_for" in kwargs else None
        kwargs.pop("return_state", None)

        from headwater._task_dispatch import submit_task  # deferred: see __call__

        return submit_task(self, self._spec.bind(args, kwargs, what=self._what), wait_for)

    def map(self, *args: Any, **kwargs: Any) -> HeadwaterFutureList[R]:
        """Submit one run per element of the iterable arguments (zipped); futures in order.

        Wrap an iterable argument in :class:`unmapped` to pass it whole to every
        run. All mapped iterables must have the same length.
        """
        wait_for = kwargs.pop("wait_for", None) if "wait_for" in kwargs else None
        kwargs.pop("return_state", None)

        from headwater._task_dispatch import map_task  # deferred: see __call__

        return map_task(self, self._spec.bind(args, kwargs, what=self._what), wait_for)

    def __repr__(self) -> str:
        return f"Task(name={self.name!r}, fn={getattr(self.fn, '__qualname__', self.fn)!r})"

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """Support tasks defined as methods: bind ``self`` like a function would."""
        if instance is None:
            return self
        bound = self.with_options()
        method = self.fn.__get__(instance, owner)
        bound.fn = method
        bound._spec = CallSpec(method)
        return bound


def _is_none_policy(policy: Any) -> bool:
    try:
        from headwater.cache_policies import NONE
    except ImportError:  # pragma: no cover - the results work always ships it
        return False
    return policy is NONE or type(policy) is type(NONE)


@overload
def task(__fn: Callable[P, Coroutine[Any, Any, R]]) -> Task[P, Coroutine[Any, Any, R]]: ...


@overload
def task(__fn: Callable[P, R]) -> Task[P, R]: ...


@overload
def task(
    __fn: Literal[None] = None,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    version: str | None = None,
    cache_policy: Any = NotSet,
    cache_key_fn: Callable[..., str | None] | None = None,
    cache_expiration: _dt.timedelta | None = None,
    task_run_name: str | Callable[[], str] | None = None,
    retries: int | None = None,
    retry_delay_seconds: float | Sequence[float] | Callable[[int], Sequence[float]] | None = None,
    retry_jitter_factor: float | None = None,
    persist_result: bool | None = None,
    result_storage: Any = None,
    result_serializer: Any = None,
    cache_result_in_memory: bool = True,
    timeout_seconds: float | None = None,
    log_prints: bool | None = None,
    refresh_cache: bool | None = None,
    on_completion: Sequence[Callable[..., Any]] | None = None,
    on_failure: Sequence[Callable[..., Any]] | None = None,
    retry_condition_fn: Callable[..., bool] | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


@overload
def task(__fn: Callable[P, R], **options: Any) -> Task[P, R]: ...


def task(__fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Make a function a task: ``@task``, ``@task(retries=2)`` or ``task(fn, name="x")``.

    Options (keyword-only, Prefect's names and meanings): ``name``,
    ``description`` (default: the docstring), ``tags``, ``version``,
    ``retries``, ``retry_delay_seconds`` (number, list, or a callable such as
    ``exponential_backoff(...)``), ``retry_jitter_factor``,
    ``retry_condition_fn(task, task_run, state) -> bool``, ``timeout_seconds``,
    ``cache_policy``, ``cache_key_fn(context, parameters)``,
    ``cache_expiration`` (timedelta), ``refresh_cache``, ``persist_result``,
    ``result_storage``, ``result_serializer``, ``log_prints``,
    ``task_run_name`` (format template over the parameters, or a callable),
    ``on_completion``/``on_failure`` hooks ``(task, task_run, state)``.
    A bad option raises :class:`~headwater.errors.ConfigurationError` naming it.
    """
    unknown = set(options) - _TASK_OPTIONS
    if unknown:
        raise ConfigurationError(f"@task got unknown option(s): {', '.join(sorted(unknown))}")
    if __fn is None:
        return lambda fn: Task(fn, **options)
    return Task(__fn, **options)


_TASK_OPTIONS = frozenset(inspect.signature(Task.__init__).parameters) - {"self", "fn"}
