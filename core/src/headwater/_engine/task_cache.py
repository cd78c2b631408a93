"""Results and caching for a task run: whether it persists, where, and cache reads.

A run persists its result when the task says so (``persist_result``), when it
caches (a cache policy or key function was given), when its flow says so, or
by the ``results_persist_by_default`` setting. A persisting run computes its
cache key from its cache policy and reads a valid record under that key
before it starts (a hit ends the run Cached); the result is written under the
same key. :class:`~headwater._engine.task_run.TaskRun` calls these.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from headwater.settings import get_settings
from headwater.states import Cached, State

if TYPE_CHECKING:
    from headwater._engine.task_call import TaskCall
    from headwater.context import TaskRunContext
    from headwater.tasks import Task

__all__ = ["cache_lookup", "persists", "result_store"]


def persists(task: Task[Any, Any], call: TaskCall) -> bool:
    """Whether the run's result is persisted (and so may be read from the cache)."""
    if task.persist_result is not None:
        return task.persist_result
    if task._explicit_caching:
        return True
    if call.flow_persist is not None:
        return call.flow_persist
    return get_settings().results_persist_by_default


def result_store(task: Task[Any, Any], call: TaskCall) -> Any:
    """The result store of the run: the task's storage and serializer, else its flow's."""
    # Deferred: headwater.results costs ~50 ms to import and most runs never persist.
    from headwater.results import resolve_result_store

    storage = task.result_storage if task.result_storage is not None else call.flow_result_storage
    serializer = (
        task.result_serializer
        if task.result_serializer is not None
        else call.flow_result_serializer
    )
    return resolve_result_store(storage, serializer)


def cache_lookup(
    task: Task[Any, Any],
    call: TaskCall,
    ctx: TaskRunContext,
    log: Callable[..., None],
) -> tuple[str | None, State | None]:
    """The run's cache key (``None``: it does not cache) and a Cached state when a
    valid record exists under that key (``None``: compute the result)."""
    policy = _cache_policy(task)
    if policy is None:
        return None, None
    try:
        key = policy.compute_key(ctx, ctx.parameters, call.flow_parameters)
    except Exception as exc:
        log(
            logging.WARNING,
            "Cache key could not be computed; the task will not be cached: %s",
            exc,
        )
        return None, None
    if not key:
        return None, None
    if task.refresh_cache:
        return key, None
    store = result_store(task, call)
    record = store.try_read(key)
    if record is None:
        return key, None
    return key, Cached(data=record.value, result_key=store.result_key(key), cache_key=key)


def _cache_policy(task: Task[Any, Any]) -> Any:
    """The task's cache policy object, or ``None`` when it does not cache (policy NONE)."""
    policy = task._resolved_policy
    if policy is None:
        # Deferred: headwater.cache_policies costs ~90 ms to import; only caching runs need it.
        from headwater import cache_policies

        if task.cache_key_fn is not None:
            policy = cache_policies.CacheKeyFnPolicy(task.cache_key_fn)
        elif task.cache_policy is not None:
            policy = task.cache_policy
        else:
            policy = cache_policies.DEFAULT
        if policy is cache_policies.NONE:
            policy = False
        task._resolved_policy = policy
    return None if policy is False else policy
