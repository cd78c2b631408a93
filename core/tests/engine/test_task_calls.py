"""TaskCall, the unit of work task runners carry out, and where the engine stops.

A runner runs ``call()`` in a thread or ``await call.run_async()`` on a loop;
both hand back the final state and never raise, even when the run was
interrupted. The engine never picks a task runner: that is the business of
the layer above it (``headwater._task_dispatch``).
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from headwater import flow, task
from headwater._engine.task_call import TaskCall, create_task_call
from headwater._store import get_store


@task
def interrupted_sync() -> None:
    raise KeyboardInterrupt


@task
async def interrupted_async() -> None:
    raise KeyboardInterrupt


@task
async def doubled(x: int) -> int:
    return 2 * x


def _recorded_type(call: TaskCall) -> str | None:
    store = get_store()
    store.flush()
    return store.read_task_run(call.task_run_id).state_type


def test_calling_an_interrupted_sync_call_returns_its_crashed_state() -> None:
    call = create_task_call(interrupted_sync, {})
    state = call()
    assert state.is_crashed()
    assert state.task_run_id == call.task_run_id
    assert isinstance(state.data, KeyboardInterrupt)
    assert _recorded_type(call) == "CRASHED"


def test_run_async_of_an_interrupted_call_returns_its_crashed_state() -> None:
    call = create_task_call(interrupted_async, {})
    state = asyncio.run(call.run_async())
    assert state.is_crashed()
    assert state.task_run_id == call.task_run_id
    assert isinstance(state.data, KeyboardInterrupt)
    assert _recorded_type(call) == "CRASHED"


def test_run_async_returns_the_completed_state() -> None:
    call = create_task_call(doubled, {"x": 21})
    state = asyncio.run(call.run_async())
    assert state.is_completed()
    assert state.result() == 42
    assert call.state is state
    assert _recorded_type(call) == "COMPLETED"


def test_the_thread_pool_runner_runs_async_tasks_through_run_async() -> None:
    @flow
    def f() -> tuple[str, bool, int]:
        interrupted, completed = interrupted_async.submit(), doubled.submit(4)
        interrupted.wait()
        crashed = interrupted.state
        return crashed.name, isinstance(crashed.data, KeyboardInterrupt), completed.result()

    assert f() == ("Crashed", True, 8)


def _runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports anywhere (functions included), except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_engine_never_imports_the_task_runner_layer() -> None:
    import headwater._engine

    engine = Path(headwater._engine.__file__).parent
    offenders = {
        f"{path.name}: {name}"
        for path in sorted(engine.glob("*.py"))
        for name in _runtime_imports(path)
        if name.split(".")[:2] in (["headwater", "task_runners"], ["headwater", "_task_dispatch"])
    }
    assert not offenders
