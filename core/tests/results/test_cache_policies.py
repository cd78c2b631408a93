"""Cache policies: keys change exactly when what they depend on changes."""

from __future__ import annotations

import threading
import types
from typing import Any

import pytest

from headwater.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    NONE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CachePolicy,
    UnhashableInputsError,
    source_hash,
    task_input_hash,
)
from headwater.context import TaskRunContext


def add(x: int, y: int) -> int:
    return x + y


def add_changed(x: int, y: int) -> int:
    return x + y + 1


def make_ctx(
    fn: Any = add, *, flow_run_id: str | None = "flow-1", task_run_id: str = "task-1"
) -> TaskRunContext:
    task = types.SimpleNamespace(fn=fn, name=fn.__name__, task_key=f"{fn.__qualname__}-key")
    return TaskRunContext(
        task=task,  # type: ignore[arg-type]
        task_run_id=task_run_id,
        task_run_name=f"{fn.__name__}-0",
        flow_run_id=flow_run_id,
        parameters={},
    )


def key(
    policy: CachePolicy, ctx: TaskRunContext | None = None, inputs: Any = None, params: Any = None
) -> str | None:
    return policy.compute_key(
        ctx or make_ctx(), inputs if inputs is not None else {"x": 1, "y": 2}, params or {}
    )


def test_inputs_key_follows_inputs_only() -> None:
    base = key(INPUTS)
    assert base is not None
    assert key(INPUTS, inputs={"x": 1, "y": 2}) == base
    assert key(INPUTS, inputs={"x": 1, "y": 3}) != base
    assert key(INPUTS, make_ctx(add_changed, flow_run_id="other")) == base


def test_inputs_minus_excludes_an_input() -> None:
    policy = INPUTS - "y"
    assert key(policy, inputs={"x": 1, "y": 2}) == key(policy, inputs={"x": 1, "y": 99})
    assert key(policy, inputs={"x": 1, "y": 2}) != key(policy, inputs={"x": 2, "y": 2})
    assert repr(policy) == "INPUTS - 'y'"


def test_minus_an_unhashable_input_makes_caching_possible() -> None:
    inputs = {"x": 1, "lock": threading.Lock()}
    with pytest.raises(UnhashableInputsError, match="'lock'"):
        key(INPUTS, inputs=inputs)
    assert key(INPUTS - "lock", inputs=inputs) == key(INPUTS, inputs={"x": 1})


def test_task_source_changes_with_the_function_body() -> None:
    assert key(TASK_SOURCE) == key(TASK_SOURCE, make_ctx(add, flow_run_id="f2"), {"x": 5})
    assert key(TASK_SOURCE, make_ctx(add_changed)) != key(TASK_SOURCE)


def test_task_source_falls_back_to_code_without_source() -> None:
    ns: dict[str, Any] = {}
    exec("def f(a):\n    return a * 2\n", ns)
    exec("def g(a):\n    return a * 3\n", ns)
    assert source_hash(ns["f"]) != source_hash(ns["g"])
    assert source_hash(ns["f"]) == source_hash(ns["f"])


def test_task_source_hash_is_cached_per_function() -> None:
    def local(a: int) -> int:
        return a

    first = source_hash(local)
    from headwater import cache_policies

    assert cache_policies._source_hashes[local] == first


def test_flow_parameters_key() -> None:
    assert key(FLOW_PARAMETERS, params={"n": 1}) == key(
        FLOW_PARAMETERS, params={"n": 1}, inputs={"z": 0}
    )
    assert key(FLOW_PARAMETERS, params={"n": 1}) != key(FLOW_PARAMETERS, params={"n": 2})


def test_run_id_key_is_flow_run_or_task_run() -> None:
    assert key(RUN_ID, make_ctx(flow_run_id="f1")) == "f1"
    assert key(RUN_ID, make_ctx(flow_run_id=None, task_run_id="t9")) == "t9"


def test_default_is_inputs_source_and_run() -> None:
    base = key(DEFAULT)
    assert base is not None
    assert key(DEFAULT) == base
    assert key(DEFAULT, inputs={"x": 2, "y": 2}) != base
    assert key(DEFAULT, make_ctx(add_changed)) != base
    assert key(DEFAULT, make_ctx(flow_run_id="flow-2")) != base
    assert key(DEFAULT, make_ctx(task_run_id="another-task-run")) == base
    assert key(DEFAULT - "y", inputs={"x": 1, "y": 50}) == key(DEFAULT - "y")


def test_compound_skips_none_parts_and_all_none_is_none() -> None:
    assert key(NONE) is None
    assert key(NONE + NONE) is None
    assert key(INPUTS + NONE) is not None
    assert key(INPUTS + NONE) == key(NONE + INPUTS)


def test_no_cache_absorbs_composition() -> None:
    assert key(NO_CACHE) is None
    assert key(NO_CACHE + INPUTS) is None
    assert key(INPUTS + NO_CACHE) is None


def test_cache_key_fn_policy_receives_context_and_inputs() -> None:
    seen: list[Any] = []

    def fn(ctx: TaskRunContext, args: dict[str, Any]) -> str:
        seen.append((ctx.task_run_id, args))
        return f"k-{args['x']}"

    ctx = make_ctx()
    assert CacheKeyFnPolicy(fn).compute_key(ctx, {"x": 7}, {}) == "k-7"
    assert seen == [("task-1", {"x": 7})]
    assert key(CacheKeyFnPolicy(lambda c, a: None)) is None
    with pytest.raises(TypeError, match="str or None"):
        key(CacheKeyFnPolicy(lambda c, a: 5))  # type: ignore[arg-type,return-value]


def test_task_input_hash_is_prefect_compatible() -> None:
    ctx = make_ctx()
    assert task_input_hash(ctx, {"x": 1}) == task_input_hash(
        make_ctx(task_run_id="other"), {"x": 1}
    )
    assert task_input_hash(ctx, {"x": 1}) != task_input_hash(ctx, {"x": 2})
    assert task_input_hash(ctx, {"x": 1}) != task_input_hash(make_ctx(add_changed), {"x": 1})
    assert task_input_hash(ctx, {"x": threading.Lock()}) is None


def test_subtracting_non_string_is_type_error() -> None:
    with pytest.raises(TypeError):
        INPUTS - 3  # type: ignore[operator]
