"""Import time: the modules that deferred imports say they keep out stay out.

The CLI starts without blocks, variables, the server or the store implementations;
defining a task or a flow does not load the engine that runs it.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

KEPT_OUT = [
    "headwater.blocks",  # pydantic and every block type
    "headwater.variables",
    "headwater.server",  # FastAPI
    "headwater._store.reset",  # the migrations
    "headwater._store.sql",
    "headwater._store.http",  # httpx
    "headwater.results",
    "headwater._engine.flow_engine",
]


@pytest.mark.parametrize("module", KEPT_OUT)
def test_import_headwater_cli_keeps_out(module: str) -> None:
    code = f"import sys, headwater.cli; print({module!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _loaded_after(code: str, modules: list[str]) -> list[str]:
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(ast.literal_eval(out.stdout.strip()))


def test_defining_a_task_does_not_load_the_engine() -> None:
    code = "from headwater import task\n@task\ndef t(): pass"
    engine = ["headwater._engine.task_engine", "headwater._engine.flow_engine", "headwater.results"]
    assert _loaded_after(code, engine) == []


def test_defining_a_flow_does_not_load_the_flow_engine() -> None:
    code = "from headwater import flow\n@flow\ndef f(): pass"
    engine = ["headwater._engine.flow_engine", "headwater.results", "headwater.blocks"]
    assert _loaded_after(code, engine) == []
