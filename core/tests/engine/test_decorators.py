"""@flow / @task: forms, options, copies, typing-relevant attributes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import headwater
from headwater import Flow, Task, flow, task
from headwater.errors import ConfigurationError
from headwater.retries import exponential_backoff


def test_public_namespace_is_sorted_and_complete() -> None:
    assert headwater.__all__ == sorted(headwater.__all__)
    for name in headwater.__all__:
        assert getattr(headwater, name) is not None
    assert headwater.flow is flow
    assert headwater.Task is Task


def test_task_with_and_without_parentheses_and_call_form() -> None:
    @task
    def a(x: int) -> int:
        """Doubles."""
        return 2 * x

    @task(name="bee", tags=["t1"], version="3")
    def b(x: int) -> int:
        return x + 1

    c = task(lambda x: x, name="c")
    assert isinstance(a, Task)
    assert a.name == "a"
    assert a.description == "Doubles."
    assert b.name == "bee"
    assert b.tags == {"t1"}
    assert b.version == "3"
    assert a.fn(2) == 4  # .fn is the original function
    assert c.name == "c"

    @flow
    def f() -> tuple[int, int, int]:
        return a(1), b(1), c(5)

    assert f() == (2, 2, 5)


def test_flow_forms_and_default_name() -> None:
    @flow
    def my_flow() -> int:
        return 1

    @flow(name="named", description="desc", version="1.0")
    def other() -> int:
        return 2

    assert isinstance(my_flow, Flow)
    assert my_flow.name == "my-flow"
    assert other.name == "named"
    assert other.description == "desc"
    assert other.version == "1.0"
    assert my_flow() == 1
    assert other() == 2


def test_tasks_run_outside_flows_and_are_tracked() -> None:
    @task
    def add(x: int, y: int) -> int:
        return x + y

    assert add(1, 2) == 3
    from headwater._store import get_store

    store = get_store()
    store.flush()
    runs = store.read_task_runs()
    assert len(runs) == 1
    assert runs[0].flow_run_id is None
    assert runs[0].state_type == "COMPLETED"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"retries": -1}, "retries"),
        ({"retry_delay_seconds": "soon"}, "retry_delay_seconds"),
        ({"retry_jitter_factor": -2}, "retry_jitter_factor"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"cache_expiration": 5}, "cache_expiration"),
        ({"tags": "single"}, "tags"),
        ({"on_failure": [1]}, "on_failure"),
        ({"persist_result": "yes"}, "persist_result"),
        ({"name": ""}, "name"),
        ({"cache_key_fn": 3}, "cache_key_fn"),
        ({"retry_condition_fn": "x"}, "retry_condition_fn"),
        ({"task_run_name": 12}, "task_run_name"),
        ({"bogus_option": 1}, "bogus_option"),
        ({"result_serializer": "no-such-serializer"}, "no-such-serializer"),
    ],
)
def test_invalid_task_options_fail_at_decoration(options: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):

        @task(**options)  # type: ignore[arg-type]
        def t() -> None:
            pass


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"retries": "2"}, "retries"),
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"task_runner": "no-such-runner"}, "no-such-runner"),
        ({"validate_parameters": "no"}, "validate_parameters"),
        ({"on_crashed": ["x"]}, "on_crashed"),
        ({"flow_run_name": 5}, "flow_run_name"),
        ({"unknown": True}, "unknown"),
    ],
)
def test_invalid_flow_options_fail_at_decoration(options: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):

        @flow(**options)  # type: ignore[arg-type]
        def f() -> None:
            pass


def test_cache_key_fn_with_persist_false_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="persist_result"):

        @task(persist_result=False, cache_key_fn=lambda c, p: "k")
        def t() -> None:
            pass


def test_retry_delay_forms_accepted() -> None:
    t1 = task(lambda: 1, retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=2))
    t2 = task(lambda: 1, retries=3, retry_delay_seconds=[1, 2])
    t3 = task(lambda: 1, retries=2, retry_delay_seconds=5, retry_jitter_factor=0.5)
    assert t1._retry_delays == [2, 4, 8]
    assert t2._retry_delays == [1, 2, 2]
    assert t3._retry_delays == [5, 5]


def test_with_options_returns_a_changed_copy() -> None:
    @task(retries=1, tags=["a"])
    def t() -> int:
        return 1

    t2 = t.with_options(name="t2", retries=3, cache_expiration=dt.timedelta(minutes=1))
    assert t2 is not t
    assert t2.name == "t2"
    assert t2.retries == 3
    assert t2.tags == {"a"}
    assert t.name == "t"
    assert t.retries == 1
    with pytest.raises(ConfigurationError, match="nope"):
        t.with_options(nope=1)

    @flow(retries=1)
    def f() -> int:
        return t2()

    f2 = f.with_options(name="f2", retries=0)
    assert f2.name == "f2"
    assert f2.retries == 0
    assert f.retries == 1
    assert f2() == 1


def test_task_run_name_template_and_callable() -> None:
    from headwater._store import get_store

    @task(task_run_name="add-{x}-{y}")
    def add(x: int, y: int) -> int:
        return x + y

    @task(task_run_name=lambda: "custom")
    def other() -> None:
        pass

    @flow(flow_run_name="run-for-{n}")
    def f(n: int) -> None:
        add(n, 2)
        other()

    f(7)
    store = get_store()
    assert store.read_flow_runs()[0].name == "run-for-7"
    names = sorted(r.name for r in store.read_task_runs())
    assert names == ["add-7-2", "custom"]


def test_async_task_and_flow() -> None:
    @task
    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    @flow
    async def f(x: int) -> int:
        return await double(x)

    assert asyncio.run(f(4)) == 8


def test_async_task_from_sync_flow_runs_to_completion() -> None:
    @task
    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    @flow
    def f(x: int) -> int:
        return double(x)

    assert f(5) == 10


def test_async_tasks_submitted_together_run_concurrently() -> None:
    import time

    @task
    async def nap(i: int) -> int:
        await asyncio.sleep(0.3)
        return i

    @flow
    def f() -> list[int]:
        futures = [nap.submit(i) for i in range(8)]
        return [fu.result() for fu in futures]

    start = time.monotonic()
    assert f() == list(range(8))
    # Run one after another this would take 2.4 s; concurrently well under that.
    assert time.monotonic() - start < 2.0


def test_log_prints_captures_print_into_run_logs() -> None:
    from headwater._store import get_store

    @task(log_prints=True)
    def talk() -> None:
        print("hello from the task")

    @flow
    def f() -> None:
        talk()

    f()
    logs = get_store().read_logs()
    assert any("hello from the task" in line.message and line.task_run_id for line in logs)


def test_methods_can_be_tasks() -> None:
    class Thing:
        def __init__(self, k: int) -> None:
            self.k = k

        @task
        def times(self, x: int) -> int:
            return self.k * x

    @flow
    def f() -> int:
        return Thing(3).times(4)

    assert f() == 12


def test_import_and_a_well_typed_flow_pull_in_no_heavy_modules(tmp_path: object) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import headwater\n"
        "heavy = ('pydantic', 'rich', 'typer', 'cloudpickle', 'sqlite3', 'psycopg')\n"
        "assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]\n"
        "from headwater import flow, task\n"
        "@task\n"
        "def t(x: int) -> int:\n"
        "    return x\n"
        "@flow\n"
        "def f(n: int) -> int:\n"
        "    return t(n)\n"
        "assert f(1) == 1\n"
        "assert 'pydantic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_prefect_style_helpers_import_from_the_tasks_module() -> None:
    from headwater import cache_policies, retries, tasks

    assert tasks.exponential_backoff is retries.exponential_backoff
    assert tasks.task_input_hash is cache_policies.task_input_hash
    with pytest.raises(AttributeError, match="no_such_helper"):
        tasks.no_such_helper  # noqa: B018
