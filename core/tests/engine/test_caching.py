"""Caching and result persistence through the cache policies and result store."""

from __future__ import annotations

import datetime as dt
import time

from headwater import flow, task
from headwater._store import get_store
from headwater.cache_policies import INPUTS, NONE, task_input_hash
from headwater.settings import temporary_settings


def test_cache_key_fn_hit_skips_the_function_and_is_cached() -> None:
    calls = []

    @task(cache_key_fn=task_input_hash)
    def slow_square(x: int) -> int:
        calls.append(x)
        return x * x

    @flow
    def f() -> list[int]:
        return [slow_square(3), slow_square(3), slow_square(4)]

    assert f() == [9, 9, 16]
    assert calls == [3, 4]
    assert f() == [9, 9, 16]  # a second flow run hits the cache too
    assert calls == [3, 4]
    runs = get_store().read_task_runs()
    names = [r.state_name for r in runs]
    assert names.count("Cached") == 4
    assert names.count("Completed") == 2
    cached = next(r for r in runs if r.state_name == "Cached")
    assert cached.state_type == "COMPLETED"
    assert cached.cache_key
    assert cached.result_key


def test_cache_policy_inputs_and_refresh_cache() -> None:
    calls = []

    @task(cache_policy=INPUTS)
    def work(x: int) -> int:
        calls.append(x)
        return x + len(calls)

    @flow
    def f() -> int:
        return work(1)

    first = f()
    assert f() == first
    assert len(calls) == 1
    refreshed = work.with_options(refresh_cache=True)

    @flow
    def g() -> int:
        return refreshed(1)

    second = g()
    assert second != first
    assert len(calls) == 2
    assert f() == second
    assert len(calls) == 2


def test_cache_expiration() -> None:
    calls = []

    @task(cache_key_fn=lambda ctx, params: "fixed-key", cache_expiration=dt.timedelta(seconds=0.3))
    def work() -> int:
        calls.append(1)
        return len(calls)

    @flow
    def f() -> int:
        return work()

    assert f() == 1
    assert f() == 1
    time.sleep(0.4)
    assert f() == 2


def test_no_persistence_means_no_caching_and_no_result_key() -> None:
    calls = []

    @task
    def work(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def f() -> None:
        work(1)
        work(1)

    f()
    assert calls == [1, 1]
    assert all(r.result_key is None for r in get_store().read_task_runs())


def test_persist_result_sets_result_key_readable_back() -> None:
    from headwater.results import read_result_record

    @task(persist_result=True)
    def work() -> dict[str, int]:
        return {"a": 1}

    @flow
    def f() -> None:
        work()

    f()
    (tr,) = get_store().read_task_runs()
    assert tr.result_key
    assert read_result_record(tr.result_key) == {"a": 1}


def test_flow_persist_result_is_inherited_and_default_policy_includes_run_id() -> None:
    calls = []

    @task
    def work(x: int) -> int:
        calls.append(x)
        return x

    @flow(persist_result=True)
    def f() -> None:
        work(1)
        work(1)  # same flow run, same inputs: cached by the DEFAULT policy

    f()
    assert calls == [1]
    f()  # a new flow run has a new RUN_ID: computed again
    assert calls == [1, 1]
    assert all(r.result_key for r in get_store().read_task_runs())


def test_settings_persist_by_default_and_policy_none() -> None:
    calls = []

    @task(cache_policy=NONE)
    def never_cached(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def f() -> None:
        never_cached(1)
        never_cached(1)

    with temporary_settings(results_persist_by_default="true"):
        f()
    assert calls == [1, 1]
    runs = get_store().read_task_runs()
    assert all(r.result_key for r in runs)  # persisted, under fresh keys
    assert all(r.state_name == "Completed" for r in runs)
