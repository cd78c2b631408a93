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


def test_public_api_names_resolve() -> None:
    for name in headwater_blocks.__all__:
        assert getattr(headwater_blocks, name) is not None, name
    assert sorted(dir(headwater_blocks)) == dir(headwater_blocks)


def test_unknown_attribute_is_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no_such_name"):
        headwater_blocks.no_such_name  # noqa: B018


def test_import_is_lazy() -> None:
    """``import headwater_blocks`` loads no driver library until a block is used."""
    import subprocess
    import sys

    code = (
        "import sys, headwater_blocks; "
        "heavy = [m for m in ('sqlalchemy', 'httpx', 'fsspec') if m in sys.modules]; "
        "assert not heavy, heavy; "
        "headwater_blocks.SlackWebhook; "
        "assert 'httpx' in sys.modules and 'sqlalchemy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_blocks_load_through_entry_points_without_importing_the_package() -> None:
    """In a fresh process, Block.load("slug/name") finds the class through the entry point."""
    import os
    import subprocess
    import sys

    code = (
        "from headwater.blocks import Block, get_block_class; "
        "cls = get_block_class('sqlalchemy-connector'); "
        "assert cls.__module__ == 'headwater_blocks.sql', cls"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=dict(os.environ))
