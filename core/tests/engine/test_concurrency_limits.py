"""Tag-based concurrency limits, enforced through the store."""

from __future__ import annotations

import threading
import time

import pytest

from headwater import flow, task
from headwater._store import get_store
from headwater.concurrency import acquire_slots, release_slots


@pytest.mark.usefixtures("store_url")
def test_limit_caps_concurrent_tagged_runs_and_waiting_runs_are_pending() -> None:
    store = get_store()
    store.create_concurrency_limit("db", 1)
    active: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()

    @task(tags=["db"])
    def query(i: int) -> int:
        with lock:
            active.append(i)
            peak.append(len(active))
        time.sleep(0.1)
        with lock:
            active.remove(i)
        return i

    @flow
    def f() -> list[int]:
        futures = query.map(range(4))
        time.sleep(0.05)
        states = [fu.state.type.value for fu in futures]
        assert states.count("RUNNING") <= 1
        return futures.result()

    assert f() == [0, 1, 2, 3]
    assert max(peak) == 1
    assert store.read_concurrency_limit("db").active_slots == []  # all released


def test_untagged_tasks_and_unlimited_tags_do_not_wait() -> None:
    @task(tags=["no-limit-here"])
    def free(i: int) -> int:
        return 1

    @flow
    def f() -> int:
        return sum(free.map(range(5)).result())

    assert f() == 5


def test_zero_limit_blocks_until_raised() -> None:
    store = get_store()
    store.create_concurrency_limit("gate", 0)
    assert acquire_slots(store, ["gate"], "holder-1", timeout=0.2) is False
    store.create_concurrency_limit("gate", 1)
    assert acquire_slots(store, ["gate"], "holder-1", timeout=5) is True
    assert store.read_concurrency_limit("gate").active_slots == ["holder-1"]
    release_slots(store, ["gate"], "holder-1")
    assert store.read_concurrency_limit("gate").active_slots == []


def test_slots_released_when_task_fails() -> None:
    store = get_store()
    store.create_concurrency_limit("fragile", 1)

    @task(tags=["fragile"])
    def bad() -> None:
        raise ValueError("x")

    @flow
    def f() -> None:
        bad(return_state=True)
        bad(return_state=True)  # would wait forever if the first kept its slot

    f()
    assert store.read_concurrency_limit("fragile").active_slots == []
