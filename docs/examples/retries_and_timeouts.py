"""Retries and timeouts on tasks and flows.

A task that fails is run again up to ``retries`` times, waiting
``retry_delay_seconds`` between attempts; ``retry_condition_fn`` decides
whether a failure is worth retrying. ``timeout_seconds`` stops a run that
takes too long and fails it as ``TimedOut``.
"""

from __future__ import annotations

import time

from headwater import flow, task
from headwater.errors import RunTimeoutError
from headwater.tasks import exponential_backoff

ATTEMPTS: dict[str, int] = {}


def attempt(name: str) -> int:
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    return ATTEMPTS[name]


@task(retries=3, retry_delay_seconds=[0.01, 0.02, 0.05])
def fetch_rates() -> dict[str, float]:
    if attempt("fetch_rates") < 3:
        raise ConnectionError("rates service did not answer")
    return {"EUR": 1.0, "USD": 1.08}


@task(
    retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=0.01), retry_jitter_factor=0.5
)
def upload(rates: dict[str, float]) -> int:
    if attempt("upload") == 1:
        raise TimeoutError("upload timed out")
    return len(rates)


def only_connection_errors(tsk: object, task_run: object, state: object) -> bool:
    """Retry network trouble, but not bugs."""
    exc = state.result(raise_on_failure=False)  # type: ignore[attr-defined]
    return isinstance(exc, ConnectionError)


@task(retries=5, retry_condition_fn=only_connection_errors)
def parse(raw: str) -> int:
    attempt("parse")
    return int(raw)  # a ValueError here is not retried


@task(timeout_seconds=0.2)
def slow_query() -> str:
    time.sleep(5)
    return "never"


@flow
def nightly() -> int:
    rates = fetch_rates()
    sent = upload(rates)

    bad = parse("not a number", return_state=True)
    assert bad.is_failed()
    assert ATTEMPTS["parse"] == 1  # the condition said no: no retries

    timed_out = slow_query(return_state=True)
    assert timed_out.name == "TimedOut"
    assert timed_out.is_failed()
    assert isinstance(timed_out.result(raise_on_failure=False), RunTimeoutError)

    return sent


@flow(retries=1, retry_delay_seconds=0)
def publish() -> str:
    # A flow's retries run its whole body again.
    if attempt("publish") == 1:
        raise RuntimeError("the first attempt fails")
    return "published"


@flow(timeout_seconds=0.3)
def too_slow() -> None:
    time.sleep(5)


if __name__ == "__main__":
    assert nightly() == 2
    assert ATTEMPTS["fetch_rates"] == 3  # two failures, then success
    assert ATTEMPTS["upload"] == 2

    assert publish() == "published"
    assert ATTEMPTS["publish"] == 2

    state = too_slow(return_state=True)
    assert state.name == "TimedOut", state
    print(f"too_slow ended {state!r}")
