"""Test helpers for Headwater and the packages built on it.

- :mod:`headwater.testing.blocks`: ``assert_block_conforms``, the conformance
  suite every block package runs over its blocks.
- :mod:`headwater.testing.fixtures`: a pytest plugin with the ``headwater_home``
  fixture (``pytest_plugins = ["headwater.testing.fixtures"]``).
- :mod:`headwater.testing.reader`: ``latest_flow_run``, ``flow_run_logs``,
  ``task_runs``, ``flow_run_states``, ``stored_block_document``: what runs
  recorded, for package tests (instead of the private store).
- :mod:`headwater.testing.packaging`: package-contract checks
  (``assert_public_api``, ``assert_import_is_light``, ``assert_entry_points``,
  ``assert_distribution_layout``) and ``fresh_environment``/``run_python`` to
  test a package installed alone with the core.
- :mod:`headwater.testing.storage_suites` (``WritableFileSystemSuite``,
  ``ObjectStorageSuite``), :mod:`headwater.testing.database_suite`
  (``DatabaseSuite``), :mod:`headwater.testing.secret_suite` (``SecretSuite``):
  behavioural suites an implementation's test class inherits.

The suites need pytest, which the core does not depend on: they are imported
from here only when first named.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.testing.database_suite import DatabaseSuite
    from headwater.testing.secret_suite import SecretSuite
    from headwater.testing.storage_suites import ObjectStorageSuite, WritableFileSystemSuite

__all__ = ["DatabaseSuite", "ObjectStorageSuite", "SecretSuite", "WritableFileSystemSuite"]

_LAZY = {
    "DatabaseSuite": "headwater.testing.database_suite",
    "ObjectStorageSuite": "headwater.testing.storage_suites",
    "SecretSuite": "headwater.testing.secret_suite",
    "WritableFileSystemSuite": "headwater.testing.storage_suites",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'headwater.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
