# A flow written for Prefect 3, exactly as a Prefect user would write it. The
# test renames "prefect" to "headwater" in the imports and runs it unchanged.
import asyncio
from datetime import timedelta

from prefect import allow_failure, flow, get_run_logger, task, unmapped
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.futures import as_completed, wait
from prefect.states import Completed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff, task_input_hash

CALLS = {"flaky": 0, "expensive": 0}


@task(
    retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=0.01), retry_jitter_factor=0.5
)
def flaky_extract(n: int) -> list[int]:
    CALLS["flaky"] += 1
    if CALLS["flaky"] < 2:
        raise ConnectionError("source unavailable")
    return list(range(n))


@task(cache_key_fn=task_input_hash, cache_expiration=timedelta(minutes=5))
def expensive(x: int) -> int:
    CALLS["expensive"] += 1
    return x * x


@task(cache_policy=INPUTS + TASK_SOURCE, persist_result=True)
def scale(x: int, factor: int) -> int:
    return x * factor


@task(task_run_name="double-{x}", tags=["math"], timeout_seconds=5)
def double(x: int) -> int:
    return 2 * x


@task
def fails() -> None:
    raise ValueError("expected failure")


@task
def summarize(values: list[int], maybe: object = None) -> int:
    get_run_logger().info("summarizing %d values", len(values))
    return sum(values)


@task
async def fetch(i: int) -> int:
    await asyncio.sleep(0.01)
    return i


@flow(name="child-flow", flow_run_name="child-{label}")
def child(label: str) -> str:
    return label.upper()


@flow(
    name="prefect-style-etl",
    log_prints=True,
    task_runner=ThreadPoolTaskRunner(max_workers=4),
    retries=0,
    version="1.0",
)
def etl(n: int = 5) -> dict[str, object]:
    numbers = flaky_extract(n)
    squares = expensive.map(numbers)
    squares.wait()  # the cache is filled by the mapped runs first
    again = [expensive(x) for x in numbers]
    scaled = scale.map(numbers, unmapped(10))
    doubled = [double.submit(x) for x in numbers]
    wait(doubled)
    finished = [f.result() for f in as_completed(doubled)]
    failure = fails.submit()
    total = summarize(squares, maybe=allow_failure(failure), wait_for=[scaled])
    state = fails(return_state=True)
    print(f"total={total}")
    return {
        "total": total,
        "again": again,
        "scaled": [s.result() for s in scaled],
        "doubled": sorted(finished),
        "failed": state.is_failed(),
        "child": child("x"),
    }


@flow
async def async_etl() -> list[int]:
    futures = [fetch.submit(i) for i in range(5)]
    return [f.result() for f in futures]


if __name__ == "__main__":
    out = etl(4)
    assert out == {
        "total": 14,
        "again": [0, 1, 4, 9],
        "scaled": [0, 10, 20, 30],
        "doubled": [0, 2, 4, 6],
        "failed": True,
        "child": "X",
    }, out
    assert CALLS == {"flaky": 2, "expensive": 4}, CALLS
    assert asyncio.run(async_etl()) == [0, 1, 2, 3, 4]
    state = etl(4, return_state=True)
    assert isinstance(state, type(Completed()))
    assert state.is_completed()
    print("PREFECT-STYLE OK")
