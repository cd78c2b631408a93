"""Flows: ``@flow`` turns a function into a tracked run that holds task runs.

Calling a flow creates a flow run, validates its parameters from the type
hints, runs the body with a task runner for ``.submit``/``.map``, and records
every state change. A flow called inside another flow is a child run.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, ParamSpec, TypeVar, overload

from headwater._engine.entrypoint import entrypoint_of
from headwater._engine.hooks import check_hooks
from headwater._engine.options import (
    check_bool,
    check_name,
    check_retries,
    check_run_name,
    check_tags,
    check_timeout,
)
from headwater._engine.parameters import CallSpec, ParameterValidator
from headwater.errors import ConfigurationError, ParameterValidationError
from headwater.serializers import get_serializer
from headwater.task_runners import get_task_runner

if TYPE_CHECKING:
    from headwater.task_runners import TaskRunner

__all__ = ["Flow", "flow"]

P = ParamSpec("P")
R = TypeVar("R")


class Flow(Generic[P, R]):
    """A function made into a Headwater flow; see :func:`flow` for the options."""

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        version: str | None = None,
        flow_run_name: str | Callable[[], str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float
        | Sequence[float]
        | Callable[[int], Sequence[float]]
        | None = None,
        task_runner: TaskRunner | type[TaskRunner] | str | None = None,
        description: str | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        persist_result: bool | None = None,
        result_storage: Any = None,
        result_serializer: Any = None,
        cache_result_in_memory: bool = True,
        log_prints: bool | None = None,
        on_completion: Sequence[Callable[..., Any]] | None = None,
        on_failure: Sequence[Callable[..., Any]] | None = None,
        on_cancellation: Sequence[Callable[..., Any]] | None = None,
        on_crashed: Sequence[Callable[..., Any]] | None = None,
        tags: Sequence[str] | None = None,
    ) -> None:
        if not callable(fn):
            raise ConfigurationError(f"@flow needs a function, got {type(fn).__name__}")
        if isinstance(fn, Flow):
            fn = fn.fn

        self.fn: Callable[P, R] = fn
        self.isasync: bool = inspect.iscoroutinefunction(fn)
        default_name = getattr(fn, "__name__", type(fn).__name__).replace("_", "-")
        self.name: str = check_name(name) if name is not None else default_name
        self.version = version
        self.description: str | None = (
            description if description is not None else inspect.getdoc(fn)
        )
        self.flow_run_name = check_run_name(flow_run_name, option="flow_run_name")
        self.retries, self._retry_delays = check_retries(retries, retry_delay_seconds, None)
        self.retry_delay_seconds = retry_delay_seconds
        self.task_runner: TaskRunner = get_task_runner(task_runner)
        self.timeout_seconds = check_timeout(timeout_seconds)
        self.should_validate_parameters = check_bool(
            validate_parameters, option="validate_parameters", allow_none=False
        )
        self.persist_result = check_bool(persist_result, option="persist_result")
        self.result_storage = result_storage
        if result_serializer is not None:
            get_serializer(result_serializer)
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
        self.result_serializer = result_serializer
        self.cache_result_in_memory = bool(cache_result_in_memory)
        self.log_prints = check_bool(log_prints, option="log_prints")
        self.on_completion_hooks = check_hooks(on_completion, option="on_completion")
        self.on_failure_hooks = check_hooks(on_failure, option="on_failure")
        self.on_cancellation_hooks = check_hooks(on_cancellation, option="on_cancellation")
        self.on_crashed_hooks = check_hooks(on_crashed, option="on_crashed")
        self.tags: frozenset[str] = check_tags(tags)
        self._spec = CallSpec(fn)
        self._validator = ParameterValidator(fn, self._spec)
        self._entrypoint: str | Literal[False] | None = False
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", self.name)
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    @property
    def entrypoint(self) -> str | None:
        """``module:qualname`` or ``/abs/path.py:qualname``: how a retry finds this flow again."""
        if self._entrypoint is False:
            self._entrypoint = entrypoint_of(self.fn)
        return self._entrypoint

    def _options(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "flow_run_name": self.flow_run_name,
            "retries": self.retries,
            "retry_delay_seconds": self.retry_delay_seconds,
            "task_runner": self.task_runner,
            "description": self.description,
            "timeout_seconds": self.timeout_seconds,
            "validate_parameters": self.should_validate_parameters,
            "persist_result": self.persist_result,
            "result_storage": self.result_storage,
            "result_serializer": self.result_serializer,
            "cache_result_in_memory": self.cache_result_in_memory,
            "log_prints": self.log_prints,
            "on_completion": list(self.on_completion_hooks),
            "on_failure": list(self.on_failure_hooks),
            "on_cancellation": list(self.on_cancellation_hooks),
            "on_crashed": list(self.on_crashed_hooks),
            "tags": set(self.tags),
        }

    def with_options(self, **options: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed (same names as :func:`flow`)."""
        current = self._options()
        unknown = set(options) - set(current)
        if unknown:
            raise ConfigurationError(
                f"with_options got unknown option(s): {', '.join(sorted(unknown))}"
            )
        current.update(options)
        copy = Flow(self.fn, **current)
        copy._entrypoint = self._entrypoint
        return copy

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """``parameters`` checked and coerced against the type hints.

        Raises :class:`~headwater.errors.ParameterValidationError` naming each
        bad, missing or unknown parameter.
        """
        try:
            bound = self._spec.bind((), parameters, what=f"flow {self.name!r}")
        except TypeError as exc:
            raise ParameterValidationError(str(exc)) from None
        return self._validator.validate(bound, flow_name=self.name)

    @overload
    def __call__(self: Flow[P, NoReturn], *args: P.args, **kwargs: P.kwargs) -> None: ...

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the flow and return its result (an awaitable for an async flow).

        ``return_state=True`` returns the final :class:`~headwater.states.State`
        instead of raising when the run fails.
        """
        return_state = kwargs.pop("return_state", False) if "return_state" in kwargs else False
        kwargs.pop("wait_for", None)

        # Deferred: import time; defining a flow does not load the flow engine (results, logging).
        from headwater._engine.flow_engine import call_flow

        return call_flow(self, args, kwargs, return_state=return_state)

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


@overload
def flow(__fn: Callable[P, Coroutine[Any, Any, R]]) -> Flow[P, Coroutine[Any, Any, R]]: ...


@overload
def flow(__fn: Callable[P, R]) -> Flow[P, R]: ...


@overload
def flow(
    __fn: Literal[None] = None,
    *,
    name: str | None = None,
    version: str | None = None,
    flow_run_name: str | Callable[[], str] | None = None,
    retries: int | None = None,
    retry_delay_seconds: float | Sequence[float] | Callable[[int], Sequence[float]] | None = None,
    task_runner: TaskRunner | type[TaskRunner] | str | None = None,
    description: str | None = None,
    timeout_seconds: float | None = None,
    validate_parameters: bool = True,
    persist_result: bool | None = None,
    result_storage: Any = None,
    result_serializer: Any = None,
    cache_result_in_memory: bool = True,
    log_prints: bool | None = None,
    on_completion: Sequence[Callable[..., Any]] | None = None,
    on_failure: Sequence[Callable[..., Any]] | None = None,
    on_cancellation: Sequence[Callable[..., Any]] | None = None,
    on_crashed: Sequence[Callable[..., Any]] | None = None,
    tags: Sequence[str] | None = None,
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(__fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Make a function a flow: ``@flow``, ``@flow(name="etl", retries=1)`` or ``flow(fn)``.

    Options (keyword-only, Prefect's names and meanings): ``name`` (default:
    the function name with ``-`` for ``_``), ``version``, ``description``
    (default: the docstring), ``flow_run_name`` (template over the parameters
    or a callable), ``retries``, ``retry_delay_seconds``, ``task_runner``
    (instance, class or name), ``timeout_seconds``, ``validate_parameters``,
    ``persist_result`` (also the default of its tasks), ``result_storage``,
    ``result_serializer``, ``log_prints``, hooks ``on_completion``,
    ``on_failure``, ``on_cancellation``, ``on_crashed`` ``(flow, flow_run,
    state)``. A bad option raises :class:`~headwater.errors.ConfigurationError`
    naming it.
    """
    unknown = set(options) - _FLOW_OPTIONS
    if unknown:
        raise ConfigurationError(f"@flow got unknown option(s): {', '.join(sorted(unknown))}")
    if __fn is None:
        return lambda fn: Flow(fn, **options)
    return Flow(__fn, **options)


_FLOW_OPTIONS = frozenset(inspect.signature(Flow.__init__).parameters) - {"self", "fn"}
