from __future__ import annotations

import importlib.metadata

import headwater_blocks


def test_version_matches_distribution_metadata() -> None:
    assert headwater_blocks.__version__ == importlib.metadata.version("headwater-blocks")


def test_core_is_declared_as_a_range_not_a_pin() -> None:
    requires = importlib.metadata.requires("headwater-blocks") or []
    core = [r for r in requires if r.startswith("headwater") and "extra" not in r]
    assert core, requires
    assert all("==" not in r and "<" in r and ">=" in r for r in core), core


def test_public_api_is_sorted() -> None:
    assert headwater_blocks.__all__ == sorted(headwater_blocks.__all__)
