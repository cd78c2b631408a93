"""Flows imported by module path in test_retry_flow_run (module-level, importable)."""

from __future__ import annotations

import os
from pathlib import Path

from headwater import flow, task

CALLS: list[str] = []


@task(persist_result=True)
def expensive(x: int) -> int:
    CALLS.append(f"expensive-{x}")
    return x * 10


@task
def flaky(marker: str) -> str:
    CALLS.append("flaky")
    if not Path(marker).exists():
        raise RuntimeError("marker file missing")
    return "ok"


@flow
def pipeline(x: int, marker: str) -> str:
    value = expensive(x)
    return f"{flaky(marker)}-{value}"


@flow
def takes_object(obj: object) -> None:
    raise ValueError(f"failed with {obj!r} in {os.getpid()}")


@flow
def takes_password(password: str) -> None:
    raise ValueError("the database refused the password")
