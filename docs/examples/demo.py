"""The README demo: a small ETL flow on the embedded default store.

Runs three flows into the local SQLite store (HEADWATER_HOME): one that
succeeds with mapped, submitted and cached tasks, one task that succeeds after
a retry, and one flow that fails, so `headwater flow-run ls` has something to
show.
"""

from __future__ import annotations

import random
from datetime import timedelta

from headwater import flow, get_run_logger, task
from headwater.tasks import exponential_backoff, task_input_hash

ATTEMPTS: dict[str, int] = {}


@task(cache_key_fn=task_input_hash, cache_expiration=timedelta(hours=1))
def extract(source: str) -> list[int]:
    rng = random.Random(source)
    return [rng.randint(1, 100) for _ in range(20)]


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=0.1))
def flaky_lookup(region: str) -> str:
    ATTEMPTS[region] = ATTEMPTS.get(region, 0) + 1
    if ATTEMPTS[region] == 1:
        raise ConnectionError(f"lookup service for {region} did not answer")
    return region.upper()


@task
def transform(values: list[int], factor: int) -> int:
    return sum(v * factor for v in values)


@task
def load(totals: list[int]) -> int:
    get_run_logger().info("loading %d totals", len(totals))
    return sum(totals)


@flow(log_prints=True)
def etl(sources: list[str], factor: int = 2) -> int:
    extracted = extract.map(sources)
    regions = [flaky_lookup.submit(s) for s in sources]
    totals = transform.map(extracted, factor)
    grand_total = load(totals.result())
    print(f"regions {[r.result() for r in regions]}: grand total {grand_total}")
    return grand_total


@flow
def broken(threshold: int = 10) -> None:
    raise ValueError(f"threshold {threshold} is too low for today's data")


if __name__ == "__main__":
    etl(["north", "south", "east", "west"])
    etl(["north", "south", "east", "west"])  # the second run reads extract() from the cache
    state = broken(return_state=True)
    print(f"the broken flow ended {state!r}; try: headwater flow-run ls")
