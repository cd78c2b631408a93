"""Test helpers for Headwater and the packages built on it.

- :mod:`headwater.testing.blocks`: ``assert_block_conforms``, the conformance
  suite every block package runs over its blocks.
- :mod:`headwater.testing.fixtures`: a pytest plugin with the ``headwater_home``
  fixture (``pytest_plugins = ["headwater.testing.fixtures"]``).
- :mod:`headwater.testing.reader`: ``latest_flow_run``, ``flow_run_logs``,
  ``task_runs``, ``flow_run_states``, ``stored_block_document``: what runs
  recorded, for package tests (instead of the private store).
- :mod:`headwater.testing.storage_suites` (``WritableFileSystemSuite``,
  ``ObjectStorageSuite``), :mod:`headwater.testing.database_suite`
  (``DatabaseSuite``), :mod:`headwater.testing.secret_suite` (``SecretSuite``):
  behavioural suites an implementation's test class inherits.
"""

from __future__ import annotations

from headwater.testing.database_suite import DatabaseSuite
from headwater.testing.secret_suite import SecretSuite
from headwater.testing.storage_suites import ObjectStorageSuite, WritableFileSystemSuite

__all__ = ["DatabaseSuite", "ObjectStorageSuite", "SecretSuite", "WritableFileSystemSuite"]
