"""Task runners: where submitted task runs execute.

:class:`TaskRunner` is the interface (Dask and Ray runners in integrations
implement it); :class:`ThreadPoolTaskRunner` (the default) runs sync tasks on
threads and async tasks concurrently on one background event loop;
:class:`ProcessPoolTaskRunner` runs each task run in a worker process. Runners
are found by name through the ``headwater.task_runners`` entry point group.

A runner implements :meth:`TaskRunner.submit`; it turns the call into a
:class:`TaskCall` with :func:`create_task_call` (in the submitting thread),
runs ``call()`` wherever it likes (``call()`` carries out the whole run and
returns the final :class:`~headwater.states.State`; ``await call.run_async()``
does the same for an async task on an event loop; neither raises), and wraps
that in a :class:`~headwater.futures.HeadwaterFuture`.
"""

from __future__ import annotations

import abc
import concurrent.futures
import contextvars
import os
import queue
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from headwater._engine.annotations import allow_failure, unmapped
from headwater._engine.asyncutils import BackgroundLoop
from headwater._engine.resolve import collect_dependencies
from headwater._engine.task_call import TaskCall, create_task_call
from headwater.context import flow_run_ctx
from headwater.errors import ConfigurationError
from headwater.futures import (
    HeadwaterConcurrentFuture,
    HeadwaterFuture,
    HeadwaterFutureList,
    HeadwaterTaskFuture,
    ResolvedFuture,
)
from headwater.states import Crashed

if TYPE_CHECKING:
    from headwater.states import State
    from headwater.tasks import Task

__all__ = [
    "ProcessPoolTaskRunner",
    "TaskCall",
    "TaskRunner",
    "ThreadPoolTaskRunner",
    "create_task_call",
    "default_task_runner",
    "expand_map_parameters",
    "get_task_runner",
]


def _is_pydantic_model(value: object) -> bool:
    # pydantic is only imported by code that uses it, so a value cannot be a model before that.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def expand_map_parameters(parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One parameters dict per mapped call (zip semantics).

    Iterable values are mapped over; :class:`unmapped` values, strings, bytes,
    mappings and pydantic models (blocks: iterating one yields its fields) are
    passed whole to every call; a future is resolved and its
    result mapped over. Raises :class:`ValueError` naming the parameters when
    the iterables differ in length or none is iterable.
    """
    mapped: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, unmapped):
            static[name] = value.value
            continue
        wrap_failure = isinstance(value, allow_failure)
        inner = value.value if wrap_failure else value
        if isinstance(inner, HeadwaterFuture):
            inner = inner.result()
        if (
            isinstance(inner, str | bytes | bytearray | Mapping)
            or not isinstance(inner, Iterable)
            or _is_pydantic_model(inner)
        ):
            static[name] = value
            continue
        items = list(inner)
        mapped[name] = [allow_failure(v) for v in items] if wrap_failure else items
    if not mapped:
        raise ValueError(
            "task.map needs at least one iterable parameter; got none among "
            f"{', '.join(parameters) or 'no parameters'} (wrap values in unmapped() only when some stay iterable)"
        )
    lengths = {name: len(items) for name, items in mapped.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(
            f"task.map got iterable parameters of different lengths: {shown}; they must all be the same length"
        )
    n = next(iter(lengths.values()))
    names = list(parameters)
    out: list[dict[str, Any]] = []
    for i in range(n):
        call_params = {}
        for name in names:
            call_params[name] = mapped[name][i] if name in mapped else static[name]
        out.append(call_params)
    return out


class TaskRunner(abc.ABC):
    """Runs submitted task runs; used as a context manager around a flow run's body.

    Subclasses implement :meth:`submit` and :meth:`duplicate`; :meth:`map`
    submits each mapped call. ``__exit__`` must wait for every submitted run.
    """

    name: str = "task-runner"

    def __init__(self) -> None:
        self._started = False

    @abc.abstractmethod
    def duplicate(self) -> Self:
        """A fresh, unstarted runner with the same configuration (one per flow run)."""

    @abc.abstractmethod
    def submit(
        self,
        task: Task[Any, Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, list[str]] | None = None,
    ) -> HeadwaterFuture[Any]:
        """Start a run of ``task`` with ``parameters``; a future of it."""

    def map(
        self,
        task: Task[Any, Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
    ) -> HeadwaterFutureList[Any]:
        """Submit one run per element of the iterable ``parameters``; futures in order."""
        wait = list(wait_for) if wait_for else None
        fctx = flow_run_ctx.get()
        results = fctx.extra.get("result_ids") if fctx is not None else None
        futures: HeadwaterFutureList[Any] = HeadwaterFutureList()
        submit = self.submit
        for params in expand_map_parameters(parameters):
            futures.append(submit(task, params, wait, collect_dependencies(params, results)))
        return futures

    def __enter__(self) -> Self:
        self._started = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._started = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _ThreadPool:
    """A minimal pool: worker threads pulling ``(context, call, future)`` from one queue.

    Lighter than :class:`concurrent.futures.ThreadPoolExecutor` per item (no
    executor future, no work-item object), which matters at thousands of
    task runs per second.
    """

    def __init__(self, max_workers: int) -> None:
        self._queue: queue.SimpleQueue[
            tuple[contextvars.Context, TaskCall, HeadwaterTaskFuture[Any]] | None
        ] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._max = max_workers
        self._lock = threading.Lock()

    def submit(
        self, ctx: contextvars.Context, call: TaskCall, future: HeadwaterTaskFuture[Any]
    ) -> None:
        self._queue.put((ctx, call, future))
        if len(self._threads) < self._max:
            with self._lock:
                if len(self._threads) < self._max:
                    t = threading.Thread(
                        target=self._work, name=f"headwater-task-{len(self._threads)}", daemon=True
                    )
                    t.start()
                    self._threads.append(t)

    def _work(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is None:
                return
            ctx, call, future = item
            try:
                state = ctx.run(call)
            except BaseException as exc:  # pragma: no cover - call() never raises
                from headwater.states import Crashed

                state = Crashed(message=f"Task run crashed: {exc!r}", data=exc)
            future.set_state(state)

    def shutdown(self, *, abandon: bool = False) -> None:
        """Finish the queued work, then stop and join the threads.

        ``abandon=True`` (the flow run crashed): queued runs that have not
        started end Crashed at once and running ones are not waited for (the
        threads are daemons, so they do not keep the process alive).
        """
        if abandon:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[2].set_state(
                        Crashed(message="The flow run crashed before this task run started")
                    )
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        if not abandon:
            for t in threads:
                t.join()


class ThreadPoolTaskRunner(TaskRunner):
    """Runs sync task runs on a thread pool and async ones on a background event loop.

    ``max_workers``: threads in the pool (default: Python's ``min(32, cpus + 4)``).
    """

    name = "threadpool"

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__()
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise ConfigurationError(
                f"max_workers must be a positive whole number, got {max_workers!r}"
            )
        self.max_workers = max_workers
        self._threads: _ThreadPool | None = None
        self._loop: BackgroundLoop | None = None
        self._lock = threading.Lock()

    def duplicate(self) -> Self:
        return type(self)(max_workers=self.max_workers)

    def _pool(self) -> _ThreadPool:
        pool = self._threads
        if pool is None:
            with self._lock:
                if self._threads is None:
                    self._threads = _ThreadPool(
                        self.max_workers or min(32, (os.cpu_count() or 1) + 4)
                    )
                pool = self._threads
        return pool

    def submit(
        self,
        task: Task[Any, Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, list[str]] | None = None,
    ) -> HeadwaterFuture[Any]:
        call = create_task_call(task, parameters, wait_for, dependencies)
        ctx = contextvars.copy_context()
        if task.isasync:
            with self._lock:
                if self._loop is None:
                    self._loop = BackgroundLoop()
                loop = self._loop
            fut: concurrent.futures.Future[State] = loop.submit(call.run_async(), context=ctx)
            return HeadwaterConcurrentFuture(call.task_run_id, fut, call.current_state)
        future: HeadwaterTaskFuture[Any] = HeadwaterTaskFuture(call.task_run_id, call.current_state)
        self._pool().submit(ctx, call, future)
        return future

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            pool, loop = self._threads, self._loop
            self._threads = None
            self._loop = None
        exc_type = exc_info[0] if exc_info else None
        crashed = isinstance(exc_type, type) and not issubclass(exc_type, Exception)
        if pool is not None:
            pool.shutdown(abandon=crashed)
        if loop is not None:
            if not crashed:
                loop.drain()
            loop.close()
        super().__exit__(*exc_info)

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers!r})"


# -- processes ----------------------------------------------------------------------


def _run_in_child(payload: bytes) -> bytes:
    """Worker-process side: unpickle the call, run it, flush the store, pickle the final state."""
    import cloudpickle

    call: TaskCall = cloudpickle.loads(payload)
    state = call()
    try:
        from headwater._store import get_store

        get_store().flush()
    except Exception as exc:  # the run happened; say the records may be late
        state.message = (state.message or "") + f" (recording may be incomplete: {exc})"
    try:
        return cloudpickle.dumps(state)  # type: ignore[no-any-return]
    except Exception:
        state.data = (
            RuntimeError(repr(state.data))
            if state.is_final() and not state.is_completed()
            else state.data
        )
        if state.is_completed():
            from headwater.states import Failed

            state = Failed(
                message=f"Task run result of type {type(state.data).__name__} cannot be sent back from the worker process",
                task_run_id=state.task_run_id,
            )
        return cloudpickle.dumps(state)  # type: ignore[no-any-return]


class ProcessPoolTaskRunner(TaskRunner):
    """Runs each task run in a worker process (``spawn``), for CPU-bound work.

    The task and its arguments are sent with cloudpickle; the task engine runs
    in the worker, records the run in the store, flushes, and sends back the
    final state with the result. Upstream futures are waited for in this
    process before the call is sent. ``max_workers``: processes (default: CPUs).
    """

    name = "process"

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__()
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise ConfigurationError(
                f"max_workers must be a positive whole number, got {max_workers!r}"
            )
        self.max_workers = max_workers
        self._processes: concurrent.futures.ProcessPoolExecutor | None = None
        self._dispatch: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def duplicate(self) -> Self:
        return type(self)(max_workers=self.max_workers)

    def _pools(
        self,
    ) -> tuple[concurrent.futures.ProcessPoolExecutor, concurrent.futures.ThreadPoolExecutor]:
        with self._lock:
            if self._processes is None or self._dispatch is None:
                import multiprocessing

                self._processes = concurrent.futures.ProcessPoolExecutor(
                    self.max_workers, mp_context=multiprocessing.get_context("spawn")
                )
                self._dispatch = concurrent.futures.ThreadPoolExecutor(
                    thread_name_prefix="headwater-dispatch"
                )
            return self._processes, self._dispatch

    def submit(
        self,
        task: Task[Any, Any],
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, list[str]] | None = None,
    ) -> HeadwaterFuture[Any]:
        import cloudpickle

        if dependencies is None:
            dependencies = collect_dependencies(parameters)
        call = create_task_call(task, parameters, wait_for, dependencies)
        processes, dispatch = self._pools()

        def send() -> State:
            if call.progress is not None:
                call.progress.task_started()
            call.parameters = _settle(call.parameters)
            call.wait_for = tuple(_settle(list(call.wait_for)))
            payload = cloudpickle.dumps(call.detached())
            state: State = cloudpickle.loads(processes.submit(_run_in_child, payload).result())
            call.state = state
            if call.progress is not None:
                call.progress.task_finished(state.type)
            return state

        return HeadwaterConcurrentFuture(
            call.task_run_id, dispatch.submit(send), call.current_state
        )

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            processes, dispatch = self._processes, self._dispatch
            self._processes = self._dispatch = None
        if dispatch is not None:
            dispatch.shutdown(wait=True)
        if processes is not None:
            processes.shutdown(wait=True)
        super().__exit__(*exc_info)

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers!r})"


def _settle(value: Any) -> Any:
    """Replace futures by already-finished ones holding their final state (picklable)."""
    if isinstance(value, ResolvedFuture):
        return value
    if isinstance(value, HeadwaterFuture):
        value.wait()
        return ResolvedFuture(value.task_run_id, value.state)
    if isinstance(value, allow_failure | unmapped):
        return type(value)(_settle(value.value))
    t = type(value)
    if t is dict:
        return {k: _settle(v) for k, v in value.items()}
    if t in (list, tuple, set, frozenset):
        return t(_settle(v) for v in value)
    return value


# -- lookup ---------------------------------------------------------------------------

_BUILTIN: dict[str, type[TaskRunner]] = {
    "thread": ThreadPoolTaskRunner,
    "threads": ThreadPoolTaskRunner,
    "threadpool": ThreadPoolTaskRunner,
    "process": ProcessPoolTaskRunner,
    "processes": ProcessPoolTaskRunner,
    "processpool": ProcessPoolTaskRunner,
}


def get_task_runner(spec: str | TaskRunner | type[TaskRunner] | None) -> TaskRunner:
    """A task runner from a name (built in or the ``headwater.task_runners`` entry points),
    a runner class, or an instance. ``None`` gives the default :class:`ThreadPoolTaskRunner`.
    """
    if spec is None:
        return ThreadPoolTaskRunner()
    if isinstance(spec, TaskRunner):
        return spec
    if isinstance(spec, type) and issubclass(spec, TaskRunner):
        return spec()
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key in _BUILTIN:
            return _BUILTIN[key]()
        from importlib.metadata import entry_points

        for ep in entry_points(group="headwater.task_runners"):
            if ep.name.lower() == key:
                try:
                    loaded = ep.load()
                except ImportError as exc:
                    raise ConfigurationError(
                        f"task_runner {spec!r} is provided by {ep.value!r}, which failed to import: {exc}"
                    ) from exc
                return get_task_runner(loaded)
        raise ConfigurationError(
            f"task_runner {spec!r} is not known; built in: threadpool, process. Others come from integrations, "
            f"e.g. `pip install headwater-{key}`"
        )
    raise ConfigurationError(
        f"task_runner must be a TaskRunner, a TaskRunner class or a name, got {type(spec).__name__}"
    )


_default: ThreadPoolTaskRunner | None = None
_default_lock = threading.Lock()


def default_task_runner() -> ThreadPoolTaskRunner:
    """The process-wide runner for ``.submit``/``.map`` called outside any flow run."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ThreadPoolTaskRunner()
            _default.__enter__()
        return _default
