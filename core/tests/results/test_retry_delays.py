"""Retry delays: exponential backoff, normalisation of retry_delay_seconds, jitter."""

from __future__ import annotations

import random
from typing import Any

import pytest

from headwater.errors import ConfigurationError
from headwater.retries import apply_jitter, exponential_backoff, retry_delays


def test_exponential_backoff_doubles() -> None:
    assert exponential_backoff(10)(4) == [10, 20, 40, 80]
    assert exponential_backoff(0.5)(3) == [0.5, 1.0, 2.0]
    assert exponential_backoff(1)(0) == []


def test_exponential_backoff_rejects_negative_factor() -> None:
    with pytest.raises(ConfigurationError, match="backoff_factor"):
        exponential_backoff(-1)


@pytest.mark.parametrize(
    ("spec", "retries", "expected"),
    [
        (None, 3, [0.0, 0.0, 0.0]),
        (5, 3, [5.0, 5.0, 5.0]),
        (1.5, 1, [1.5]),
        ([1, 2, 3], 3, [1.0, 2.0, 3.0]),
        ([1, 2], 4, [1.0, 2.0, 2.0, 2.0]),
        ([1, 2, 3, 4], 2, [1.0, 2.0]),
        ((7,), 2, [7.0, 7.0]),
        (exponential_backoff(2), 3, [2.0, 4.0, 8.0]),
        (lambda n: [9] * n, 2, [9.0, 9.0]),
        (5, 0, []),
    ],
)
def test_retry_delays_normalises(spec: Any, retries: int, expected: list[float]) -> None:
    assert retry_delays(spec, retries) == expected


@pytest.mark.parametrize(
    "spec",
    [-1, "10", [1, "a"], [], [-2], float("nan"), True, {"a": 1}, lambda n: "x", lambda n: 1 / 0],
    ids=[
        "negative",
        "str",
        "list-with-str",
        "empty",
        "list-negative",
        "nan",
        "bool",
        "dict",
        "fn-str",
        "fn-raises",
    ],
)
def test_retry_delays_rejects_bad_values_naming_the_option(spec: Any) -> None:
    with pytest.raises(ConfigurationError, match="retry_delay_seconds"):
        retry_delays(spec, 2)


def test_retry_delays_rejects_bad_retries() -> None:
    with pytest.raises(ConfigurationError, match="retries"):
        retry_delays(1, -1)


class FixedRandom:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def test_apply_jitter_adds_up_to_factor_times_delay() -> None:
    assert apply_jitter(10, 0.5, FixedRandom(0.0)) == 10
    assert apply_jitter(10, 0.5, FixedRandom(0.999999)) == pytest.approx(15, abs=1e-4)
    assert apply_jitter(10, 0.5, FixedRandom(0.5)) == pytest.approx(12.5)
    rng = random.Random(3)
    samples = [apply_jitter(4, 1.0, rng) for _ in range(200)]
    assert all(4 <= s <= 8 for s in samples)
    assert len(set(samples)) > 100


def test_apply_jitter_without_factor_and_clamping() -> None:
    assert apply_jitter(3, None) == 3
    assert apply_jitter(3, 0) == 3
    assert apply_jitter(-2, 0.5, FixedRandom(0.5)) == 0.0


@pytest.mark.parametrize("factor", [-0.1, float("inf"), "1"])
def test_apply_jitter_rejects_bad_factor(factor: Any) -> None:
    with pytest.raises(ConfigurationError, match="retry_jitter_factor"):
        apply_jitter(1, factor)
