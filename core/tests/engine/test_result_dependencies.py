"""A task's return value passed straight into another task is recorded as its upstream,
and a plain task run is recorded with its full state history through the fast path."""

from __future__ import annotations

from headwater import flow, task
from headwater._store import get_store


@task
def double(x: list[int]) -> list[int]:
    return x * 2


@task
def double_int(x: int) -> int:
    return x * 2


@task
def combine(values: list[list[int]], extra: dict[str, list[int]]) -> int:
    return sum(len(v) for v in values) + sum(len(v) for v in extra.values())


def _task_runs(flow_name: str) -> dict[str, object]:
    store = get_store()
    (fr,) = store.read_flow_runs(flow_name=flow_name)
    return {tr.name: tr for tr in store.read_task_runs(flow_run_id=fr.id)}


def test_result_passed_directly_is_an_upstream() -> None:
    @flow
    def nested() -> list[int]:
        return double(double([1]))

    assert nested() == [1, 1, 1, 1]
    runs = _task_runs("nested")
    first, second = runs["double-0"], runs["double-1"]
    assert first.task_inputs == {}  # type: ignore[attr-defined]
    assert second.task_inputs == {"x": [first.id]}  # type: ignore[attr-defined]


def test_results_inside_collections_are_upstreams() -> None:
    @flow
    def gather() -> int:
        a = double([1])
        b = double([2])
        return combine([a, [3]], {"k": b})

    assert gather() == 5
    runs = _task_runs("gather")
    assert runs["combine-0"].task_inputs == {  # type: ignore[attr-defined]
        "values": [runs["double-0"].id],  # type: ignore[attr-defined]
        "extra": [runs["double-1"].id],  # type: ignore[attr-defined]
    }


def test_int_results_are_not_tracked() -> None:
    @flow
    def ints() -> int:
        return double_int(double_int(2))

    assert ints() == 8
    runs = _task_runs("ints")
    assert runs["double_int-1"].task_inputs == {}  # type: ignore[attr-defined]


def test_a_plain_value_not_returned_by_a_task_is_no_upstream() -> None:
    @flow
    def plain() -> list[int]:
        double([1])
        return double([1])

    plain()
    assert _task_runs("plain")["double-1"].task_inputs == {}  # type: ignore[attr-defined]


def test_plain_task_run_has_pending_running_completed_history() -> None:
    @flow
    def one() -> list[int]:
        return double([5])

    one()
    run = _task_runs("one")["double-0"]
    store = get_store()
    states = store.read_states(run.id)  # type: ignore[attr-defined]
    assert [s.type for s in states] == ["PENDING", "RUNNING", "COMPLETED"]
    assert states[0].timestamp <= states[1].timestamp <= states[2].timestamp
    assert (run.state_type, run.run_count) == ("COMPLETED", 1)  # type: ignore[attr-defined]
    assert run.start_time == states[1].timestamp  # type: ignore[attr-defined]
    assert run.end_time == states[2].timestamp  # type: ignore[attr-defined]
