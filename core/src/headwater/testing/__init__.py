"""Test helpers for Headwater and the packages built on it.

- :mod:`headwater.testing.blocks`: ``assert_block_conforms``, the conformance
  suite every block package runs over its blocks.
- :mod:`headwater.testing.fixtures`: a pytest plugin with the ``headwater_home``
  fixture (``pytest_plugins = ["headwater.testing.fixtures"]``).
"""

from __future__ import annotations

__all__: list[str] = []
