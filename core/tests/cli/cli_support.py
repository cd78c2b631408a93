"""Test support for the CLI tests: a seeder that creates runs through the real store.

Data is created through the store interface (``create_flow_run``,
``set_state``, ``write_logs``, ``flush``), exactly as the engine records it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from headwater._store import (
    FlowRunRecord,
    LogRecord,
    StateRecord,
    Store,
    TaskRunRecord,
)

BASE_TIME = 1_700_000_000.0
"""Seeded runs start here (November 2023) and are ten seconds apart."""


class Seeder:
    """Creates flow runs, task runs and logs through the real store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._clock = itertools.count()

    def _tick(self) -> float:
        return BASE_TIME + next(self._clock) * 10.0

    def _state(
        self, kind: str, run_id: str, type_: str, name: str, ts: float, message: str | None
    ) -> StateRecord:
        return StateRecord(
            id=uuid.uuid4().hex,
            run_id=run_id,
            run_kind=kind,  # type: ignore[arg-type]
            type=type_,
            name=name,
            timestamp=ts,
            message=message,
        )

    def flow_run(
        self,
        name: str,
        *,
        flow_name: str = "etl",
        final: tuple[str, str] = ("COMPLETED", "Completed"),
        message: str | None = None,
        tags: Sequence[str] = (),
        parameters: dict[str, Any] | None = None,
        run_id: str | None = None,
        duration: float = 2.5,
    ) -> FlowRunRecord:
        created = self._tick()
        run = FlowRunRecord(
            id=run_id or uuid.uuid4().hex,
            flow_name=flow_name,
            name=name,
            created=created,
            parameters=parameters or {},
            tags=list(tags),
            entrypoint="pipeline.py:etl",
        )
        self.store.create_flow_run(run)
        start = created + 1
        self.store.set_state(
            "flow",
            run.id,
            self._state("flow", run.id, "RUNNING", "Running", start, None),
            start_time=start,
            run_count=1,
        )
        end = start + duration
        self.store.set_state(
            "flow",
            run.id,
            self._state("flow", run.id, final[0], final[1], end, message),
            end_time=end,
        )
        self.store.flush()
        return self.store.read_flow_run(run.id)

    def task_run(
        self,
        flow_run: FlowRunRecord,
        name: str,
        *,
        final: tuple[str, str] = ("COMPLETED", "Completed"),
        upstream: Sequence[TaskRunRecord] = (),
        wait_for: Sequence[TaskRunRecord] = (),
    ) -> TaskRunRecord:
        created = flow_run.created + 1 + next(self._clock) * 0.01
        run = TaskRunRecord(
            id=uuid.uuid4().hex,
            flow_run_id=flow_run.id,
            task_key=f"pipeline.{name}",
            dynamic_key="0",
            name=name,
            created=created,
            task_inputs={"x": [u.id for u in upstream]} if upstream else {},
            wait_for=[w.id for w in wait_for],
        )
        self.store.create_task_run(run)
        self.store.set_state(
            "task",
            run.id,
            self._state("task", run.id, "RUNNING", "Running", created, None),
            start_time=created,
            run_count=1,
        )
        self.store.set_state(
            "task",
            run.id,
            self._state("task", run.id, final[0], final[1], created + 0.5, None),
            end_time=created + 0.5,
        )
        self.store.flush()
        return run

    def logs(
        self, flow_run: FlowRunRecord, lines: Sequence[tuple[int, str, TaskRunRecord | None]]
    ) -> None:
        records = [
            LogRecord(
                flow_run_id=flow_run.id,
                task_run_id=task.id if task else None,
                level=level,
                name="headwater.test",
                message=message,
                timestamp=flow_run.created + 1 + i,
            )
            for i, (level, message, task) in enumerate(lines)
        ]
        self.store.write_logs(records)
        self.store.flush()
