"""Fixtures for run-logging tests: run contexts and a clean logging setup."""

from __future__ import annotations

import builtins
import logging
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from headwater import logging as hw_logging
from headwater.context import FlowRunContext, TaskRunContext, flow_run_ctx, task_run_ctx


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    """Each test starts without Headwater's handlers, secrets or print hook, and the
    state found before the test (e.g. set up once by the engine) is put back after."""
    logger = logging.getLogger("headwater")
    had_handlers = any(getattr(h, "_headwater_handler", None) for h in logger.handlers)
    had_print_hook = builtins.print is hw_logging._capturing_print
    propagate, level = logger.propagate, logger.level
    hw_logging.reset_logging()
    hw_logging._clear_secrets()
    hw_logging.disable_print_capture()
    yield
    hw_logging.reset_logging()
    hw_logging._clear_secrets()
    hw_logging.disable_print_capture()
    if had_handlers:
        hw_logging.setup_logging(propagate=propagate)
    if had_print_hook:
        hw_logging.enable_print_capture()
    logger.propagate, logger.level = propagate, level


def make_flow_ctx(
    name: str = "my-flow-run", *, run_id: str = "flow-run-1", log_prints: bool = False
) -> FlowRunContext:
    flow = types.SimpleNamespace(name="my-flow")
    return FlowRunContext(
        flow=flow,  # type: ignore[arg-type]
        flow_run_id=run_id,
        flow_run_name=name,
        parameters={},
        log_prints=log_prints,
    )


def make_task_ctx(
    name: str = "my-task-0",
    *,
    run_id: str = "task-run-1",
    flow_run_id: str | None = "flow-run-1",
    log_prints: bool = False,
) -> TaskRunContext:
    task = types.SimpleNamespace(name="my-task", fn=lambda: None, task_key="my-task-key")
    return TaskRunContext(
        task=task,  # type: ignore[arg-type]
        task_run_id=run_id,
        task_run_name=name,
        flow_run_id=flow_run_id,
        parameters={},
        log_prints=log_prints,
    )


@contextmanager
def in_flow(ctx: FlowRunContext) -> Iterator[FlowRunContext]:
    token = flow_run_ctx.set(ctx)
    try:
        yield ctx
    finally:
        flow_run_ctx.reset(token)


@contextmanager
def in_task(ctx: TaskRunContext) -> Iterator[TaskRunContext]:
    token = task_run_ctx.set(ctx)
    try:
        yield ctx
    finally:
        task_run_ctx.reset(token)


@pytest.fixture
def contexts() -> Any:
    """Helpers to build and enter run contexts."""
    return types.SimpleNamespace(
        flow=make_flow_ctx, task=make_task_ctx, in_flow=in_flow, in_task=in_task
    )


ContextFactory = Callable[..., Any]
