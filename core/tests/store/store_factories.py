"""Record factories and subprocess helpers for the store tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from typing import Any

from headwater._store import FlowRunRecord, LogRecord, StateRecord, TaskRunRecord

_clock = [time.time()]


def tick() -> float:
    """Strictly increasing timestamps, so ordering assertions are exact."""
    _clock[0] = max(time.time(), _clock[0] + 1e-5)
    return _clock[0]


def new_id() -> str:
    return uuid.uuid4().hex


def flow_run(**kw: Any) -> FlowRunRecord:
    kw.setdefault("id", new_id())
    kw.setdefault("flow_name", "etl")
    kw.setdefault("name", "brave-otter")
    kw.setdefault("created", tick())
    return FlowRunRecord(**kw)


def task_run(flow_run_id: str | None, **kw: Any) -> TaskRunRecord:
    kw.setdefault("id", new_id())
    kw.setdefault("task_key", "mod.extract")
    kw.setdefault("dynamic_key", "0")
    kw.setdefault("name", "extract-0")
    kw.setdefault("created", tick())
    return TaskRunRecord(flow_run_id=flow_run_id, **kw)


def state(
    run_id: str, type_: str, name: str | None = None, *, kind: str = "task", **kw: Any
) -> StateRecord:
    return StateRecord(
        id=new_id(),
        run_id=run_id,
        run_kind=kind,  # type: ignore[arg-type]
        type=type_,
        name=name or type_.title(),
        timestamp=kw.pop("timestamp", None) or tick(),
        **kw,
    )


def log(flow_run_id: str | None, task_run_id: str | None, level: int, message: str) -> LogRecord:
    return LogRecord(
        flow_run_id=flow_run_id,
        task_run_id=task_run_id,
        level=level,
        name="headwater.test",
        message=message,
        timestamp=tick(),
    )


def run_python(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with this process's HEADWATER_* environment."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=dict(os.environ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
