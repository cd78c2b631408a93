"""Tag concurrency limits: at most N task runs with a tag run at once.

A limit lives in the store, so it holds across every flow run and every
process that shares the store. It is created with the CLI:

    headwater concurrency-limit create example-warehouse 2
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from headwater import flow, task
from headwater.task_runners import ThreadPoolTaskRunner

LOCK = threading.Lock()
RUNNING = 0
PEAK = 0


@task(tags=["example-warehouse"])
def load_partition(n: int) -> int:
    global RUNNING, PEAK
    with LOCK:
        RUNNING += 1
        PEAK = max(PEAK, RUNNING)
    time.sleep(0.05)
    with LOCK:
        RUNNING -= 1
    return n


@flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
def load_all(partitions: int) -> int:
    return sum(load_partition.map(range(partitions)).result())


def headwater(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "headwater.cli", *args], check=True, timeout=60)


if __name__ == "__main__":
    headwater("concurrency-limit", "create", "example-warehouse", "2")
    try:
        assert load_all(8) == 28
    finally:
        headwater("concurrency-limit", "delete", "example-warehouse")
    assert PEAK <= 2, f"{PEAK} warehouse tasks ran at once"
    print(f"at most {PEAK} warehouse task runs ran at once")
