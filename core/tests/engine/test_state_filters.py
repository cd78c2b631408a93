"""``state`` values (types or names, any spelling): one parser for the CLI, API and UI."""

from __future__ import annotations

import pickle

import pytest

from headwater import states
from headwater._state_filters import STATE_VALUES, parse_states
from headwater._store.filters import STATE_TYPES, InvalidFilter
from headwater.server.ui._run_filters import STATE_CHOICES


def test_the_store_knows_every_state_type() -> None:
    assert set(STATE_TYPES) == {t.value for t in states.StateType}


def test_named_states_table_matches_the_state_constructors() -> None:
    made = {
        name: getattr(states, name)().type for name in states.NAMED_STATES
    }  # e.g. TimedOut() is a FAILED state called TimedOut
    assert made == states.NAMED_STATES
    assert all(getattr(states, name)().name == name for name in states.NAMED_STATES)


def test_the_ui_offers_every_value_the_parser_accepts() -> None:
    assert sorted(STATE_CHOICES) == sorted(STATE_VALUES)


def test_unknown_value_names_the_field_and_lists_the_choices() -> None:
    with pytest.raises(InvalidFilter) as info:
        parse_states(["failed", "sideways"])
    assert info.value.field == "state"
    assert info.value.problem.startswith("'sideways' is not a state type or name; use one of ")
    assert "TimedOut" in info.value.problem
    assert str(info.value).startswith("`state` 'sideways'")


def test_invalid_filter_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(InvalidFilter("limit", "must be 0 or more")))
    assert (error.field, error.problem, str(error)) == (
        "limit",
        "must be 0 or more",
        "`limit` must be 0 or more",
    )
