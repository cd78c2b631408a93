"""States: the sequence recorded, return_state, exceptions, messages."""

from __future__ import annotations

import pytest

from headwater import flow, states, task
from headwater._store import get_store
from headwater.states import State


def _history(run_id: str) -> list[str]:
    return [s.name for s in get_store().read_states(run_id)]


def test_completed_task_and_flow_histories() -> None:
    @task
    def one() -> int:
        return 1

    @flow
    def f() -> int:
        return one()

    state = f(return_state=True)
    assert isinstance(state, State)
    assert state.is_completed()
    assert state.result() == 1
    store = get_store()
    (run,) = store.read_flow_runs()
    assert run.state_type == "COMPLETED"
    assert run.run_count == 1
    assert run.start_time is not None
    assert run.end_time is not None
    assert run.end_time >= run.start_time
    assert _history(run.id) == ["Pending", "Running", "Completed"]
    (tr,) = store.read_task_runs(flow_run_id=run.id)
    assert _history(tr.id) == ["Pending", "Running", "Completed"]
    assert tr.run_count == 1
    assert tr.start_time is not None
    assert tr.end_time is not None


def test_failed_task_raises_original_exception_and_records_message() -> None:
    @task
    def boom() -> float:
        return 1 / 0

    @flow
    def f() -> float:
        return boom()

    with pytest.raises(ZeroDivisionError):
        f()
    store = get_store()
    (run,) = store.read_flow_runs()
    assert run.state_type == "FAILED"
    assert (
        run.state_message == "Flow run encountered an exception ZeroDivisionError: division by zero"
    )
    (tr,) = store.read_task_runs()
    assert tr.state_type == "FAILED"
    assert (
        tr.state_message == "Task run encountered an exception ZeroDivisionError: division by zero"
    )


def test_return_state_gives_failed_state_without_raising() -> None:
    @task
    def boom() -> None:
        raise ValueError("bad value")

    @flow
    def f() -> str:
        state = boom(return_state=True)
        assert state.is_failed()
        assert isinstance(state.result(raise_on_failure=False), ValueError)
        return "survived"

    assert f() == "survived"
    failed = f.with_options(name="g")
    assert failed(return_state=True).is_completed()


def test_flow_returning_failed_futures_fails() -> None:
    @task
    def maybe(i: int) -> int:
        if i == 1:
            raise RuntimeError("one is bad")
        return i

    @flow
    def f() -> list[object]:
        return maybe.map([0, 1, 2])  # type: ignore[return-value]

    state = f(return_state=True)
    assert state.is_failed()
    assert state.message == "1/3 states failed."
    with pytest.raises(RuntimeError, match="one is bad"):
        state.result()


def test_flow_returning_a_state_takes_it() -> None:
    from headwater.states import Failed

    @flow
    def f() -> State:
        return Failed(message="decided to fail")

    state = f(return_state=True)
    assert state.is_failed()
    assert get_store().read_flow_runs()[0].state_message == "decided to fail"


def test_keyboard_interrupt_marks_crashed_and_reraises() -> None:
    @task
    def interrupt() -> None:
        raise KeyboardInterrupt

    @flow
    def f() -> None:
        interrupt()

    with pytest.raises(KeyboardInterrupt):
        f()
    store = get_store()
    store.flush()
    (run,) = store.read_flow_runs()
    assert run.state_type == "CRASHED"
    (tr,) = store.read_task_runs()
    assert tr.state_type == "CRASHED"


def test_state_repr_reads_like_prefects() -> None:
    from headwater import states

    assert repr(states.Completed()) == "Completed()"
    assert str(states.Failed(message="boom")) == "Failed('boom')"
    assert repr(states.TimedOut(message="too slow")) == "TimedOut('too slow', type=FAILED)"
    assert repr(states.Cached()) == "Cached(type=COMPLETED)"


def test_named_states_table_matches_the_state_constructors() -> None:
    """NAMED_STATES is the one table of named states: each constructor agrees with it,
    and every constructor whose name differs from its type's is in it."""
    constructors = {name: getattr(states, name) for name in states.__all__ if name[0].isupper()}
    made = {
        name: make()
        for name, make in constructors.items()
        if callable(make) and name not in {"State", "StateType", "NAMED_STATES"}
    }
    differing = {name: s.type for name, s in made.items() if s.name != s.type.value.title()}
    assert dict(states.NAMED_STATES) == differing
    for name, state_type in states.NAMED_STATES.items():
        assert made[name].name == name
        assert made[name].type is state_type
