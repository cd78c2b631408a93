"""Headwater: a fast workflow orchestrator for Python.

``from headwater import flow, task`` is all a first flow needs. Names are
imported on first use, so ``import headwater`` stays fast and pulls in no
heavy dependency (pydantic, rich, typer, cloudpickle, database drivers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater._version import __version__
from headwater.lazy import lazy_exports

if TYPE_CHECKING:
    from headwater._engine.annotations import allow_failure, unmapped
    from headwater.flows import Flow, flow
    from headwater.logging import get_run_logger
    from headwater.states import State
    from headwater.tasks import Task, task

__all__ = [
    "Flow",
    "State",
    "Task",
    "__version__",
    "allow_failure",
    "flow",
    "get_run_logger",
    "task",
    "unmapped",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Flow": "headwater.flows",
        "flow": "headwater.flows",
        "Task": "headwater.tasks",
        "task": "headwater.tasks",
        "State": "headwater.states",
        "allow_failure": "headwater._engine.annotations",
        "unmapped": "headwater._engine.annotations",
        "get_run_logger": "headwater.logging",
    },
)
