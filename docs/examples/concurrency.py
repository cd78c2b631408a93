"""Running tasks concurrently: submit, map, futures, nested flows and task runners.

``task.submit(...)`` starts a task run on the flow's task runner and returns a
future at once; ``task.map(...)`` submits one run per element. Passing a
future to another task makes it wait for that run and receive its result.
"""

from __future__ import annotations

import os
import threading

from headwater import allow_failure, flow, task, unmapped
from headwater.futures import as_completed, wait
from headwater.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

SEEN_THREADS: set[str] = set()


@task
def fetch(page: int) -> list[int]:
    SEEN_THREADS.add(threading.current_thread().name)
    return list(range(page * 10, page * 10 + 3))


@task
def scale(values: list[int], factor: int) -> list[int]:
    return [v * factor for v in values]


@task
def risky(n: int) -> int:
    if n == 2:
        raise ValueError("page 2 is broken")
    return n


@task
def report(results: list[object]) -> str:
    ok = [r for r in results if not isinstance(r, BaseException)]
    return f"{len(ok)} of {len(results)} succeeded"


@task
def cleanup() -> str:
    return "cleaned"


@flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
def pipeline(pages: list[int]) -> dict[str, object]:
    # submit: one run, one future.
    first = fetch.submit(pages[0])
    doubled = scale.submit(first, 2)  # waits for `first` and receives its list

    # map: one run per page; unmapped() passes the same value to every run.
    fetched = fetch.map(pages)
    scaled = scale.map(fetched, unmapped(3))

    # as_completed yields futures in the order they finish; wait() waits for all.
    finished = [f.result() for f in as_completed(scaled)]
    done, not_done = wait(fetched)
    assert len(done) == len(pages)
    assert not not_done

    # allow_failure lets a task run even when an upstream run failed:
    # it receives the exception in place of the result.
    attempts = risky.map(pages)
    summary = report([allow_failure(f) for f in attempts])

    # wait_for orders runs that share no data.
    tidy = cleanup.submit(wait_for=[doubled, *scaled])
    return {
        "doubled": doubled.result(),
        "scaled": scaled.result(),
        "finished": len(finished),
        "summary": summary,
        "tidy": tidy.result(),
    }


@task
def square(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def cpu_heavy(numbers: list[int]) -> list[int]:
    results = square.map(numbers).result()
    assert all(pid != os.getpid() for _, pid in results)  # ran in worker processes
    return [value for value, _ in results]


@flow
def child(n: int) -> int:
    return fetch(n)[0]


@flow
def parent() -> list[int]:
    # A flow called inside a flow is a child flow run, recorded with its parent.
    return [child(n) for n in (1, 2)]


if __name__ == "__main__":
    out = pipeline([1, 2, 3])
    assert out["doubled"] == [20, 22, 24]
    assert out["scaled"] == [[30, 33, 36], [60, 63, 66], [90, 93, 96]]
    assert out["finished"] == 3
    assert out["summary"] == "2 of 3 succeeded"
    assert out["tidy"] == "cleaned"
    assert any(name != threading.current_thread().name for name in SEEN_THREADS)

    assert parent() == [10, 20]
    assert cpu_heavy([1, 2, 3]) == [1, 4, 9]
    print(f"pipeline: {out}")
