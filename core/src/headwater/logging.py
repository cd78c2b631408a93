"""Run logging: run loggers, the console and store handlers, print capture, secret masking.

Inside a flow or task, :func:`get_run_logger` gives a logger whose records
carry the run's ids; :func:`setup_logging` shows them on stderr as

    12:00:01.123 | INFO    | Task run 'load-3' - loaded 10 rows

and records them in the store, so ``headwater flow-run logs`` shows them
later. With ``log_prints=True`` the ``print`` calls of the run are logged
too (:func:`enable_print_capture`). Every registered secret
(:func:`register_secret`) is replaced by ``********`` in both outputs.

This module is ``headwater.logging``; the standard library's ``logging`` is
imported as ``_logging`` here.
"""

from __future__ import annotations

import builtins
import logging as _logging
import sys
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import IO, Any

from headwater.context import FlowRunContext, TaskRunContext, flow_run_ctx, task_run_ctx
from headwater.errors import MissingContextError

# Secret masking lives in the leaf module headwater.masking so every layer can mask; the
# names stay importable from here, where users have always found them.
from headwater.masking import (  # noqa: F401  (re-exported)
    MASK,
    MIN_SECRET_LENGTH,
    _clear_secrets,
    mask_secrets,
    register_secret,
)
from headwater.settings import get_settings

__all__ = [
    "ConsoleHandler",
    "RunLoggerAdapter",
    "StoreHandler",
    "current_logger",
    "disable_print_capture",
    "disable_run_logger",
    "enable_print_capture",
    "get_logger",
    "get_run_logger",
    "mask_secrets",
    "register_secret",
    "reset_logging",
    "run_logger",
    "setup_logging",
]

ROOT_LOGGER = "headwater"
FLOW_RUN_LOGGER = "headwater.flow_runs"
TASK_RUN_LOGGER = "headwater.task_runs"

# -- run loggers ------------------------------------------------------------------------


class RunLoggerAdapter(_logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger adapter that adds the run's ids and name to every record.

    Unlike the standard adapter it merges a call's own ``extra`` with the
    run's instead of dropping it.
    """

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        own = kwargs.get("extra")
        base = self.extra if self.extra is not None else {}
        kwargs["extra"] = {**base, **own} if own else base
        return msg, kwargs


def _innermost() -> FlowRunContext | TaskRunContext | None:
    """The innermost run: the task run, unless a flow was started inside it (a nested flow)."""
    task = task_run_ctx.get()
    flow = flow_run_ctx.get()
    if task is not None and (flow is None or task.flow_run_id == flow.flow_run_id):
        return task
    return flow if flow is not None else task


def run_logger(ctx: FlowRunContext | TaskRunContext) -> RunLoggerAdapter:
    """The logger of the given flow or task run (what :func:`get_run_logger` returns inside it)."""
    if isinstance(ctx, TaskRunContext):
        return RunLoggerAdapter(
            _logging.getLogger(TASK_RUN_LOGGER),
            {
                "flow_run_id": ctx.flow_run_id,
                "task_run_id": ctx.task_run_id,
                "task_run_name": ctx.task_run_name,
                "run_kind": "task",
                "run_name": ctx.task_run_name,
            },
        )
    return RunLoggerAdapter(
        _logging.getLogger(FLOW_RUN_LOGGER),
        {
            "flow_run_id": ctx.flow_run_id,
            "task_run_id": None,
            "flow_run_name": ctx.flow_run_name,
            "run_kind": "flow",
            "run_name": ctx.flow_run_name,
        },
    )


def get_run_logger() -> RunLoggerAdapter:
    """The logger of the current task run or flow run.

    Raises :class:`~headwater.errors.MissingContextError` outside any run;
    use ``logging.getLogger(...)`` there instead.
    """
    ctx = _innermost()
    if ctx is None:
        if (
            _logging.getLogger(FLOW_RUN_LOGGER).disabled
            and _logging.getLogger(TASK_RUN_LOGGER).disabled
        ):
            return RunLoggerAdapter(_null_logger(), {})
        raise MissingContextError(
            "get_run_logger() was called outside a flow or task run; call it inside a @flow or "
            "@task function, or use logging.getLogger(__name__) elsewhere"
        )
    return run_logger(ctx)


def current_logger(name: str) -> _logging.Logger | RunLoggerAdapter:
    """The run logger inside a flow or task run, else :func:`get_logger` of ``name``.

    For code that runs both inside runs and outside them (blocks, integrations):
    inside a run its records go with the run's logs, outside they go to
    ``headwater.<name>``.
    """
    try:
        return get_run_logger()
    except MissingContextError:
        return get_logger(name)


def _null_logger() -> _logging.Logger:
    logger = _logging.getLogger("headwater.null")
    logger.disabled = True
    logger.propagate = False
    return logger


@contextmanager
def disable_run_logger() -> Iterator[None]:
    """Silence run loggers for the duration of a ``with`` block.

    Meant for unit tests that call a task's function directly
    (``my_task.fn()``): inside the block :func:`get_run_logger` works outside
    a run and returns a logger that drops everything.
    """
    loggers = [_logging.getLogger(FLOW_RUN_LOGGER), _logging.getLogger(TASK_RUN_LOGGER)]
    saved = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was in zip(loggers, saved, strict=True):
            logger.disabled = was


def get_logger(name: str | None = None) -> _logging.Logger:
    """A logger under ``headwater`` (``get_logger("engine")`` is ``headwater.engine``)."""
    if not name:
        return _logging.getLogger(ROOT_LOGGER)
    if name == ROOT_LOGGER or name.startswith(ROOT_LOGGER + "."):
        return _logging.getLogger(name)
    return _logging.getLogger(f"{ROOT_LOGGER}.{name}")


# -- handlers ---------------------------------------------------------------------------


class ConsoleFormatter(_logging.Formatter):
    """``HH:MM:SS.mmm | LEVEL   | Flow run 'name' - message`` with secrets masked."""

    def __init__(self) -> None:
        super().__init__(datefmt="%H:%M:%S")

    def format(self, record: _logging.LogRecord) -> str:
        when = f"{self.formatTime(record, self.datefmt)}.{int(record.msecs):03d}"
        kind = getattr(record, "run_kind", None)
        if kind == "task":
            who = f"Task run {getattr(record, 'run_name', '?')!r}"
        elif kind == "flow":
            who = f"Flow run {getattr(record, 'run_name', '?')!r}"
        else:
            who = record.name
        text = f"{when} | {record.levelname:<7} | {who} - {_message_text(record)}"
        return mask_secrets(text)


def _message_text(record: _logging.LogRecord) -> str:
    """The message with any exception traceback and stack appended."""
    message = record.getMessage()
    if record.exc_info and not record.exc_text:
        record.exc_text = _logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        message = f"{message}\n{record.exc_text}"
    if record.stack_info:
        message = f"{message}\n{record.stack_info}"
    return message


class ConsoleHandler(_logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the *current* ``sys.stderr`` (so redirection and capture keep working)."""

    _headwater_handler = "console"

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._fixed_stream = stream
        self.setFormatter(ConsoleFormatter())

    @property
    def stream(self) -> IO[str]:
        return self._fixed_stream if self._fixed_stream is not None else sys.stderr

    @stream.setter
    def stream(self, value: IO[str] | None) -> None:
        self._fixed_stream = value


class StoreHandler(_logging.Handler):
    """Sends records that carry run ids to the store as :class:`~headwater._store.LogRecord`.

    ``Store.write_logs`` is buffered (the store's writer batches and flushes),
    so this costs one queue put per line and never waits on the database.
    """

    _headwater_handler = "store"

    def __init__(self, level: int = _logging.NOTSET) -> None:
        super().__init__(level)
        self._busy = threading.local()

    def emit(self, record: _logging.LogRecord) -> None:
        flow_run_id = getattr(record, "flow_run_id", None)
        task_run_id = getattr(record, "task_run_id", None)
        if flow_run_id is None and task_run_id is None:
            return
        if getattr(self._busy, "active", False):  # the store logged while we were writing
            return
        self._busy.active = True
        try:
            from headwater._store import get_store
            from headwater._store.records import LogRecord

            line = LogRecord(
                flow_run_id=flow_run_id,
                task_run_id=task_run_id,
                level=record.levelno,
                name=record.name,
                message=mask_secrets(_message_text(record)),
                timestamp=record.created,
            )
            get_store().write_logs([line])
        except Exception:
            self.handleError(record)
        finally:
            self._busy.active = False


_setup_lock = threading.Lock()
_saved_propagate: bool | None = None


def setup_logging(*, propagate: bool = False) -> None:
    """Install Headwater's console and store handlers on the ``headwater`` logger (idempotent).

    The level comes from ``HEADWATER_LOGGING_LEVEL`` and is re-read on every
    call. ``propagate=False`` (the default) keeps records from also reaching
    handlers on the root logger, which would print every line twice.
    """
    global _saved_propagate
    logger = _logging.getLogger(ROOT_LOGGER)
    with _setup_lock:
        kinds = {getattr(h, "_headwater_handler", None) for h in logger.handlers}
        if "console" not in kinds:
            logger.addHandler(ConsoleHandler())
        if "store" not in kinds:
            logger.addHandler(StoreHandler())
        if _saved_propagate is None:
            _saved_propagate = logger.propagate
        logger.propagate = propagate
        logger.setLevel(get_settings().logging_level)


def reset_logging() -> None:
    """Remove what :func:`setup_logging` installed and restore the logger (for tests and embedding)."""
    global _saved_propagate
    logger = _logging.getLogger(ROOT_LOGGER)
    with _setup_lock:
        for handler in list(logger.handlers):
            if getattr(handler, "_headwater_handler", None):
                logger.removeHandler(handler)
                handler.close()
        if _saved_propagate is not None:
            logger.propagate = _saved_propagate
            _saved_propagate = None
        logger.setLevel(_logging.NOTSET)


# -- print capture ----------------------------------------------------------------------

_original_print = builtins.print
_print_lock = threading.Lock()


def _capturing_print(
    *args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False
) -> None:
    if file is None or file is sys.stdout:
        ctx = _innermost()
        if ctx is not None and ctx.log_prints:
            text = (" " if sep is None else sep).join(map(str, args))
            masked = mask_secrets(text)
            # Like Prefect's log_prints: the line goes to the run log (and so to the
            # console handler) instead of stdout, so it is shown once, with its run.
            run_logger(ctx).info(masked, extra={"from_print": True})
            return
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)


_capturing_print.__doc__ = _original_print.__doc__
_capturing_print.__name__ = "print"
_capturing_print.__qualname__ = "print"


def enable_print_capture() -> None:
    """Wrap ``builtins.print`` (once) so runs with ``log_prints=True`` log what they print.

    A captured print goes to the run logger instead of stdout.

    The wrapper checks the current run contexts; with no run, or a run
    without ``log_prints``, it calls the original ``print`` unchanged. Prints
    to a file other than stdout are never captured.
    """
    with _print_lock:
        if builtins.print is not _capturing_print:
            builtins.print = _capturing_print


def disable_print_capture() -> None:
    """Restore the original ``builtins.print`` if :func:`enable_print_capture` replaced it."""
    with _print_lock:
        if builtins.print is _capturing_print:
            builtins.print = _original_print
