"""Defining flows and tasks: options, names, states, parameter validation, hooks.

Run it with ``python docs/examples/flows_and_tasks.py``; every run lands in
the store under HEADWATER_HOME, so ``headwater flow-run ls`` shows them.
"""

from __future__ import annotations

import datetime as dt

from headwater import flow, task
from headwater.errors import ParameterValidationError
from headwater.states import State

EVENTS: list[str] = []


def note_completion(tsk: object, task_run: object, state: State) -> None:
    EVENTS.append(f"{getattr(task_run, 'name', '?')} -> {state.name}")


@task(
    name="double",
    description="Doubles a number.",
    tags=["math"],
    version="1.0",
    task_run_name="double-{x}",
    on_completion=[note_completion],
)
def double(x: int) -> int:
    return 2 * x


@task
def check_positive(x: int) -> int:
    if x < 0:
        raise ValueError(f"{x} is negative")
    return x


@flow(name="daily-report", flow_run_name="report-{day}", version="2024.1", tags=["reports"])
def daily_report(day: dt.date, scale: int = 1) -> int:
    total = double(21 * scale)
    # return_state=True hands back the final State instead of raising.
    state = check_positive(-1, return_state=True)
    assert state.is_failed()
    assert state.name == "Failed"
    assert isinstance(state.result(raise_on_failure=False), ValueError)
    return total


if __name__ == "__main__":
    # Parameters are validated and coerced from the type hints: "2024-05-01" becomes a date.
    assert daily_report("2024-05-01", scale="1") == 42  # type: ignore[arg-type]
    assert EVENTS == ["double-21 -> Completed"]

    # A value that cannot become an int fails the run before the body runs.
    rejected = daily_report("2024-05-01", scale="lots", return_state=True)  # type: ignore[arg-type]
    assert rejected.is_failed()
    error = rejected.result(raise_on_failure=False)
    assert isinstance(error, ParameterValidationError)
    assert "'scale'" in str(error)

    # with_options makes a changed copy; the original keeps its options.
    tripled = double.with_options(name="triple", task_run_name="triple-{x}")
    assert tripled.name == "triple"
    assert double.name == "double"

    # return_state=True on a flow returns its final State.
    final = daily_report(dt.date(2024, 5, 2), return_state=True)
    assert final.is_completed()
    assert final.result() == 42
    print(f"daily-report ended {final!r}")
