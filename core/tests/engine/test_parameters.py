"""Flow parameter validation from type hints (pydantic), before the body runs."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from headwater import flow
from headwater._store import get_store
from headwater.errors import ParameterValidationError


def test_parameters_are_coerced_from_type_hints() -> None:
    @flow
    def f(n: int, when: dt.date, tags: list[str] | None = None) -> tuple[object, object, object]:
        return n, when, tags

    assert f("3", "2024-01-02") == (3, dt.date(2024, 1, 2), None)  # type: ignore[arg-type]


def test_bad_parameter_fails_before_body_naming_it_and_type() -> None:
    ran = []

    @flow
    def f(n: int) -> None:
        ran.append(n)

    with pytest.raises(ParameterValidationError) as info:
        f("not a number")  # type: ignore[arg-type]
    assert "'n'" in str(info.value)
    assert "int" in str(info.value)
    assert ran == []
    (run,) = get_store().read_flow_runs()
    assert run.state_type == "FAILED"
    assert "'n'" in (run.state_message or "")
    assert [s.name for s in get_store().read_states(run.id)] == ["Pending", "Failed"]

    state = f("x", return_state=True)  # type: ignore[arg-type]
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), ParameterValidationError)


def test_unknown_and_missing_parameters() -> None:
    @flow
    def f(a: int, b: int = 2) -> int:
        return a + b

    with pytest.raises(ParameterValidationError, match="'c'"):
        f(1, c=3)  # type: ignore[call-arg]
    with pytest.raises(ParameterValidationError, match="'a'"):
        f()  # type: ignore[call-arg]
    runs = get_store().read_flow_runs()
    assert len(runs) == 2
    assert all(r.state_type == "FAILED" for r in runs)


def test_validate_parameters_false_skips() -> None:
    @flow(validate_parameters=False)
    def f(n: int) -> object:
        return n

    assert f("raw") == "raw"  # type: ignore[arg-type]


class Config(pydantic.BaseModel):
    size: int


class Opaque:
    pass


def test_pydantic_models_and_arbitrary_types() -> None:
    @flow
    def f(cfg: Config, thing: Opaque) -> int:
        return cfg.size

    assert f({"size": "5"}, Opaque()) == 5  # type: ignore[arg-type]
    with pytest.raises(ParameterValidationError, match="'thing'"):
        f({"size": 1}, "not opaque")  # type: ignore[arg-type]


def test_parameters_stored_json_safe() -> None:
    @flow
    def f(n: int, blob: object = None) -> None:
        pass

    f(1, blob=object())
    (run,) = get_store().read_flow_runs()
    assert run.parameters["n"] == 1
    assert isinstance(run.parameters["blob"], dict)  # a marked summary, not the object
