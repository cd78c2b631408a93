"""The README demo: a small ETL flow on the embedded default store.

Saves two blocks (a LocalFileSystem that holds the cached results, and a
Secret that references an environment variable), then runs three flows into
the local SQLite store (HEADWATER_HOME): one that succeeds with mapped,
submitted and cached tasks, one task that succeeds after a retry, and one flow
that fails, so `headwater flow-run ls` and `headwater block ls` have something
to show.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

from headwater import flow, get_run_logger, task
from headwater.blocks import LocalFileSystem, Secret
from headwater.settings import get_settings
from headwater.tasks import exponential_backoff, task_input_hash

ATTEMPTS: dict[str, int] = {}


def save_blocks() -> None:
    """Blocks are saved once, by name, and loaded anywhere (here: the same script)."""
    results = get_settings().home / "demo-results"
    LocalFileSystem(basepath=str(results)).save("demo-results", overwrite=True)
    os.environ.setdefault("DEMO_API_TOKEN", "demo-token-0f3a9")
    Secret(value="env://DEMO_API_TOKEN").save("demo-api-token", overwrite=True)


@task(
    cache_key_fn=task_input_hash,
    cache_expiration=timedelta(hours=1),
    result_storage="local-file-system/demo-results",
)
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
    token = Secret.load("demo-api-token").get()
    print(f"calling the lookup service with token {token}")  # shown as ******** in the log
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
    save_blocks()
    etl(["north", "south", "east", "west"])
    etl(["north", "south", "east", "west"])  # the second run reads extract() from the cache
    state = broken(return_state=True)
    print(f"the broken flow ended {state!r}; try: headwater flow-run ls, headwater block ls")
