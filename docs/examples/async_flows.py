"""Async flows and tasks.

An ``async def`` flow or task is awaited like the coroutine function it
wraps. Submitted async task runs share one event loop, so their waits
overlap: three 0.2 s fetches take about 0.2 s together, not 0.6 s.
"""

from __future__ import annotations

import asyncio

from headwater import flow, task

IN_FLIGHT = 0
PEAK = 0


@task(retries=1)
async def fetch(item: str, delay: float = 0.2) -> str:
    global IN_FLIGHT, PEAK
    IN_FLIGHT += 1
    PEAK = max(PEAK, IN_FLIGHT)
    await asyncio.sleep(delay)
    IN_FLIGHT -= 1
    return item.upper()


@task
def combine(parts: list[str]) -> str:
    return "-".join(parts)


@flow
async def gather_items(items: list[str]) -> str:
    first = await fetch("first", delay=0)  # call and await: runs now, gives the result
    futures = [fetch.submit(i) for i in items]  # submit: concurrent runs, futures
    parts = [f.result() for f in futures]
    return combine([first, *parts])  # sync tasks work in async flows too


@flow(timeout_seconds=0.1)
async def too_slow() -> None:
    await asyncio.sleep(5)


if __name__ == "__main__":
    assert asyncio.run(gather_items(["a", "b", "c"])) == "FIRST-A-B-C"
    assert PEAK == 3, f"only {PEAK} fetches overlapped"

    state = asyncio.run(too_slow(return_state=True))
    assert state.name == "TimedOut"
    print(f"{PEAK} fetches overlapped; too_slow ended {state!r}")
