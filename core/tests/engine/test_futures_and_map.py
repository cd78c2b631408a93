"""submit, map, futures, dependencies, wait/as_completed, allow_failure, unmapped."""

from __future__ import annotations

import time

import pytest

from headwater import allow_failure, flow, task, unmapped
from headwater._store import get_store
from headwater.futures import HeadwaterFuture, HeadwaterFutureList, as_completed, wait


@task
def add(x: int, y: int = 0) -> int:
    return x + y


@task
def fail(x: int) -> int:
    raise ValueError(f"failing on {x}")


def test_submit_returns_future_and_records_dependencies() -> None:
    @flow
    def f() -> int:
        a = add.submit(1, 2)
        assert isinstance(a, HeadwaterFuture)
        b = add.submit(a, y=10)
        c = add.submit(x=5, wait_for=[b])
        nested = add.submit(x=sum_list.submit([a, b]).result(), y=0)
        return b.result() + c.result() + nested.result()

    assert f() == 13 + 5 + 16
    runs = {r.id: r for r in get_store().read_task_runs()}
    by_key = sorted(runs.values(), key=lambda r: r.created)
    a, b, c = by_key[0], by_key[1], by_key[2]
    assert b.task_inputs == {"x": [a.id]}
    assert c.wait_for == [b.id]
    assert c.task_inputs == {}
    total = next(r for r in runs.values() if r.name.startswith("sum_list"))
    assert total.task_inputs == {"values": [a.id, b.id]}


@task
def sum_list(values: list[int]) -> int:
    return sum(values)


def test_future_api() -> None:
    @flow
    def f() -> None:
        fut = add.submit(2, 3)
        fut.wait(10)
        assert fut.state.is_completed()
        assert fut.result(timeout=10) == 5
        seen = []
        fut.add_done_callback(lambda ff: seen.append(ff.task_run_id))
        assert seen == [fut.task_run_id]
        bad = fail.submit(1)
        assert isinstance(bad.result(raise_on_failure=False), ValueError)
        with pytest.raises(ValueError, match="failing on 1"):
            bad.result()

    f()


def test_map_with_unmapped_and_list_result() -> None:
    @flow
    def f() -> list[int]:
        futures = add.map([1, 2, 3], y=unmapped(10))
        assert isinstance(futures, HeadwaterFutureList)
        futures.wait()
        return futures.result()

    assert f() == [11, 12, 13]
    assert get_store().count_task_runs() == 3


def test_map_passes_a_block_whole_to_every_call() -> None:
    """A pydantic model (a block) is iterable (over its fields) but is one value, not a list."""
    from headwater.blocks import Secret

    @task
    def use(n: int, secret: Secret) -> str:
        return f"{n}:{secret.get()}"

    @flow
    def f() -> list[str]:
        return use.map([1, 2, 3], Secret(value="shared-value")).result()

    assert f() == ["1:shared-value", "2:shared-value", "3:shared-value"]


def test_map_zips_and_rejects_length_mismatch_naming_parameters() -> None:
    @flow
    def f() -> list[int]:
        return add.map([1, 2], [10, 20]).result()

    assert f() == [11, 22]

    @flow
    def bad() -> None:
        add.map([1, 2, 3], [1])

    with pytest.raises(ValueError, match=r"x=3, y=1"):
        bad()


def test_map_over_a_future() -> None:
    @task
    def numbers() -> list[int]:
        return [1, 2, 3]

    @flow
    def f() -> list[int]:
        return add.map(numbers.submit(), y=1).result()

    assert f() == [2, 3, 4]


def test_upstream_failure_fails_downstream_with_clear_message() -> None:
    @flow
    def f() -> tuple[bool, str]:
        up = fail.submit(1)
        down = add.submit(up, 1)
        down.wait()
        return down.state.is_failed(), down.state.message or ""

    failed, message = f()
    assert failed
    assert "upstream task run" in message
    assert "failed" in message
    assert "'x'" in message
    runs = get_store().read_task_runs()
    down = next(r for r in runs if r.name.startswith("add"))
    assert down.state_type == "FAILED"
    assert "upstream task run" in (down.state_message or "")


def test_allow_failure_lets_downstream_run() -> None:
    @task
    def describe(value: object) -> str:
        return type(value).__name__

    @flow
    def f() -> str:
        up = fail.submit(1)
        return describe.submit(allow_failure(up)).result()

    assert f() == "ValueError"


def test_wait_and_as_completed() -> None:
    @task
    def nap(s: float) -> float:
        time.sleep(s)
        return s

    @flow
    def f() -> None:
        slow = nap.submit(1.0)
        fast = nap.submit(0.01)
        done, not_done = wait([slow, fast], timeout=0.5)
        assert fast in done
        assert slow in not_done
        order = [fu.result() for fu in as_completed([slow, fast])]
        assert order == [0.01, 1.0]
        with pytest.raises(TimeoutError):
            list(as_completed([nap.submit(2.0)], timeout=0.1))

    f()


def test_submit_outside_a_flow() -> None:
    fut = add.submit(4, 5)
    assert fut.result(timeout=10) == 9
    get_store().flush()
    assert get_store().read_task_runs()[0].flow_run_id is None


def test_futures_in_dicts_and_tuples_are_resolved() -> None:
    @task
    def show(d: dict[str, int], t: tuple[int, int]) -> int:
        return d["a"] + t[0] + t[1]

    @flow
    def f() -> int:
        a = add.submit(1)
        b = add.submit(2)
        return show({"a": a}, (a, b))

    assert f() == 4
