"""Every :class:`RunFilter` field filters, on SQLite, PostgreSQL and over HTTP.

Each case changes one field of an empty filter and must select a different,
exact set of runs, read and counted, whether passed as a RunFilter or as keywords.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from store_factories import flow_run, task_run

from headwater._store import Store, get_store
from headwater._store.filters import InvalidFilter, RunFilter


@pytest.fixture
def store(store_url: str) -> Store:
    return get_store()


BASE = time.time() - 10_000


def _flow_runs(store: Store) -> dict[str, str]:
    """Five flow runs a..e created in order; the name is the key, ids are returned."""
    parent = flow_run(name="a", flow_name="etl", created=BASE, start_time=BASE + 50)
    specs: list[dict[str, Any]] = [
        {"flow_name": "etl", "created": BASE + 1, "start_time": BASE + 5, "tags": ["x", "y"]},
        {
            "flow_name": "report",
            "created": BASE + 2,
            "tags": ["x"],
            "parent_flow_run_id": parent.id,
        },
        {"flow_name": "etl", "created": BASE + 3, "start_time": BASE + 100},
        {"flow_name": "etl", "created": BASE + 4, "start_time": BASE + 200, "tags": ["y"]},
    ]
    states = [
        ("COMPLETED", "Completed"),
        ("FAILED", "TimedOut"),
        ("FAILED", "Failed"),
        ("SCHEDULED", "Late"),
        ("COMPLETED", "Cached"),
    ]
    runs = [parent] + [flow_run(name=n, **spec) for n, spec in zip("bcde", specs, strict=True)]
    ids = {}
    for run, (state_type, state_name) in zip(runs, states, strict=True):
        run.state_type, run.state_name = state_type, state_name
        store.create_flow_run(run)
        ids[run.name] = run.id
    store.flush()
    return ids


# (field values, names selected newest first); "a" starts at +50, "c" never starts (+2)
FLOW_CASES: list[tuple[dict[str, Any], str]] = [
    ({}, "edcba"),
    ({"flow_name": "report"}, "c"),
    ({"state_types": ["FAILED"]}, "cb"),
    ({"state_types": ["failed"]}, "cb"),  # any case
    ({"state_names": ["Cached", "Late"]}, "ed"),
    ({"state_types": ["COMPLETED"], "state_names": ["Late"]}, "eda"),  # either matches
    ({"tags": ["x"]}, "cb"),
    ({"tags": ["x", "y"]}, "b"),
    ({"start_after": BASE + 50}, "eda"),
    ({"start_before": BASE + 50}, "cba"),
    ({"created_after": BASE + 3}, "ed"),
    ({"created_before": BASE + 1}, "ba"),
    ({"sort": "created_asc"}, "abcde"),
    ({"sort": "start_time_asc"}, "cbade"),
    ({"limit": 2}, "ed"),
    ({"offset": 3}, "ba"),
]


@pytest.mark.parametrize(("fields", "expected"), FLOW_CASES)
def test_every_flow_run_filter_field_filters(
    store: Store, fields: dict[str, Any], expected: str
) -> None:
    _flow_runs(store)
    where = RunFilter.of(**fields)
    assert "".join(r.name for r in store.read_flow_runs(where)) == expected
    assert "".join(r.name for r in store.read_flow_runs(**fields)) == expected
    paged = {"limit", "offset", "sort"} & set(fields)
    assert store.count_flow_runs(where) == (5 if paged else len(expected))


def test_parent_flow_run_id_filters(store: Store) -> None:
    ids = _flow_runs(store)
    assert [r.name for r in store.read_flow_runs(parent_flow_run_id=ids["a"])] == ["c"]
    assert store.count_flow_runs(RunFilter(parent_flow_run_id=ids["b"])) == 0


def _task_runs(store: Store) -> str:
    """Task runs p..t; p, q, r in one flow run, s, t in another. Returns the first flow run's id."""
    mine, other = flow_run(), flow_run()
    store.create_flow_run(mine)
    store.create_flow_run(other)
    specs: list[tuple[str, str | None, float | None, list[str], str, str]] = [
        ("p", mine.id, BASE + 40, ["db"], "COMPLETED", "Completed"),
        ("q", mine.id, None, ["db", "slow"], "PENDING", "Pending"),
        ("r", mine.id, BASE + 5, [], "FAILED", "TimedOut"),
        ("s", other.id, BASE + 10, ["slow"], "COMPLETED", "Cached"),
        ("t", other.id, BASE + 90, [], "RUNNING", "Retrying"),
    ]
    for i, (name, parent, start, tags, state_type, state_name) in enumerate(specs):
        store.create_task_run(
            task_run(
                parent,
                name=name,
                dynamic_key=name,
                created=BASE + i,
                start_time=start,
                tags=tags,
                state_type=state_type,
                state_name=state_name,
            )
        )
    store.flush()
    return mine.id


# (field values, names selected in creation order); q never starts (created +1)
TASK_CASES: list[tuple[dict[str, Any], str]] = [
    ({}, "pqrst"),
    ({"state_types": ["COMPLETED"]}, "ps"),
    ({"state_names": ["TimedOut", "Retrying"]}, "rt"),
    ({"state_types": ["PENDING"], "state_names": ["Cached"]}, "qs"),
    ({"tags": ["slow"]}, "qs"),
    ({"tags": ["db", "slow"]}, "q"),
    ({"start_after": BASE + 10}, "pst"),
    ({"start_before": BASE + 5}, "qr"),
    ({"created_after": BASE + 3}, "st"),
    ({"created_before": BASE + 1}, "pq"),
    ({"sort": "created_desc"}, "tsrqp"),
    ({"sort": "start_time_asc"}, "qrspt"),
    ({"limit": 2, "offset": 1}, "qr"),
]


@pytest.mark.parametrize(("fields", "expected"), TASK_CASES)
def test_every_task_run_filter_field_filters(
    store: Store, fields: dict[str, Any], expected: str
) -> None:
    _task_runs(store)
    where = RunFilter.of(**fields)
    assert "".join(r.name for r in store.read_task_runs(where)) == expected
    assert "".join(r.name for r in store.read_task_runs(**fields)) == expected
    paged = {"limit", "offset", "sort"} & set(fields)
    assert store.count_task_runs(where) == (5 if paged else len(expected))


def test_flow_run_id_filters_task_runs(store: Store) -> None:
    mine = _task_runs(store)
    where = RunFilter(flow_run_id=mine)
    assert [t.name for t in store.read_task_runs(where)] == ["p", "q", "r"]
    assert store.count_task_runs(where, tags=["db"]) == 2  # keywords replace fields


def test_a_field_of_the_other_kind_is_refused_by_name(store: Store) -> None:
    with pytest.raises(InvalidFilter, match="`flow_name` selects flow runs only"):
        store.read_task_runs(flow_name="etl")
    with pytest.raises(InvalidFilter, match="`flow_run_id` selects task runs only"):
        store.count_flow_runs(RunFilter(flow_run_id="f" * 32))
    with pytest.raises(InvalidFilter, match="`start_after`"):
        store.read_flow_runs(start_after=BASE + 2, start_before=BASE + 1)
