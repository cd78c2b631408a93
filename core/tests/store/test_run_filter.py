"""RunFilter as a value: validation naming the field, query-parameter round trips."""

from __future__ import annotations

import math
from typing import Any

import pytest

from headwater._store.filters import InvalidFilter, RunFilter

FULL = RunFilter(
    flow_name="etl & report",
    parent_flow_run_id="p" * 32,
    state_types=("FAILED", "COMPLETED"),
    state_names=("TimedOut", "Cached"),
    tags=("night=ly", "prod", "ünïcode"),
    start_after=1769860800.123456,
    start_before=1769860900.0,
    created_after=0.1,
    created_before=1e10,
    sort="start_time_asc",
    limit=0,
    offset=7,
)


@pytest.mark.parametrize(
    "where",
    [
        RunFilter(),
        FULL,
        RunFilter(flow_run_id="f" * 32, limit=2**62, sort="name_asc"),
        RunFilter(flow_name="", tags=("",)),  # empty strings are values too
    ],
)
def test_query_parameters_round_trip(where: RunFilter) -> None:
    assert RunFilter.from_query(where.to_query()) == where


def test_query_parameters_are_the_store_routes_names() -> None:
    query = RunFilter(state_types=["FAILED"], tags=["a", "b"], limit=5).to_query()  # type: ignore[arg-type]
    assert query == [("state_type", "FAILED"), ("tag", "a"), ("tag", "b"), ("limit", "5")]
    assert RunFilter().to_query() == []


def test_lists_become_tuples_and_types_upper_case() -> None:
    where = RunFilter.of(state_types=["failed"], state_names=None, tags=["x"])
    assert (where.state_types, where.state_names, where.tags) == (("FAILED",), (), ("x",))
    assert hash(where) == hash(RunFilter(state_types=("FAILED",), tags=("x",)))


def test_of_replaces_fields_of_a_filter() -> None:
    base = RunFilter(flow_name="etl", limit=3)
    assert RunFilter.of(base, limit=None, tags=["x"]) == RunFilter(flow_name="etl", tags=("x",))
    assert RunFilter.of(base) is base


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"state_types": ["WAITING"]}, "state_types", "'WAITING' is not a state type"),
        ({"state_types": "FAILED"}, "state_types", "must be a list of strings"),
        ({"state_names": [3]}, "state_names", "must be a string"),
        ({"tags": [None]}, "tags", "must be a string"),
        ({"flow_name": 5}, "flow_name", "must be a string"),
        ({"limit": -1}, "limit", "must be 0 or more, got -1"),
        ({"limit": 2**62 + 1}, "limit", "must be at most 2**62"),
        ({"limit": True}, "limit", "must be a whole number"),
        ({"offset": -5}, "offset", "must be 0 or more"),
        ({"offset": 1.5}, "offset", "must be a whole number"),
        ({"sort": "newest"}, "sort", "'newest' is not a run order; use one of created_desc"),
        ({"start_after": "yesterday"}, "start_after", "must be POSIX seconds (a number)"),
        ({"created_before": math.nan}, "created_before", "must be a finite number"),
        (
            {"start_after": 20.0, "start_before": 10.0},
            "start_after",
            "is later than `start_before`",
        ),
        ({"created_after": 2, "created_before": 1}, "created_after", "later than `created_before`"),
        ({"colour": "red"}, "colour", "is not a run filter field"),
    ],
)
def test_a_bad_value_names_its_field(fields: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(InvalidFilter) as info:
        RunFilter.of(**fields)
    assert info.value.field == field
    assert problem in info.value.problem
    assert str(info.value).startswith(f"`{field}` ")


def test_an_empty_time_range_of_one_instant_is_fine() -> None:
    assert RunFilter(start_after=5, start_before=5).start_after == 5.0


@pytest.mark.parametrize(
    ("pairs", "field", "problem"),
    [
        ([("limit", "many")], "limit", "must be a whole number, got 'many'"),
        ([("offset", "-1")], "offset", "must be 0 or more"),
        ([("start_after", "later")], "start_after", "must be POSIX seconds"),
        ([("created_after", "inf")], "created_after", "must be a finite number"),
        ([("state_type", "sideways")], "state_types", "'sideways' is not a state type"),
        ([("colour", "red")], "colour", "is not a run filter parameter"),
    ],
)
def test_bad_query_parameters_name_the_field(
    pairs: list[tuple[str, str]], field: str, problem: str
) -> None:
    with pytest.raises(InvalidFilter) as info:
        RunFilter.from_query(pairs)
    assert (info.value.field, problem in info.value.problem) == (field, True)


def test_each_kind_gets_its_default_order_and_refuses_the_other_kinds_fields() -> None:
    assert RunFilter().for_kind("flow").sort == "created_desc"
    assert RunFilter().for_kind("task").sort == "created_asc"
    assert RunFilter(sort="name_asc").for_kind("task").sort == "name_asc"
    with pytest.raises(InvalidFilter, match="`parent_flow_run_id` selects flow runs only"):
        RunFilter(parent_flow_run_id="x").for_kind("task")
