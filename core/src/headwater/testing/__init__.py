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
- Behavioural suites an implementation's test class inherits (fsspec-style),
  providing a fixture that yields the block under test:
  :class:`CredentialsSuite` (:mod:`headwater.testing.credentials_suite`),
  :class:`JobSuite` (:mod:`headwater.testing.job_suite`),
  :class:`WritableFileSystemSuite` and :class:`ObjectStorageSuite`
  (:mod:`headwater.testing.storage_suites`), :class:`DatabaseSuite`
  (:mod:`headwater.testing.database_suite`) and :class:`SecretSuite`
  (:mod:`headwater.testing.secret_suite`).

The suites need pytest, which the core does not depend on: names are imported
on first use, so importing this package loads neither pytest nor pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.lazy import lazy_exports

if TYPE_CHECKING:
    from headwater.testing.credentials_suite import CredentialsSuite
    from headwater.testing.database_suite import DatabaseSuite
    from headwater.testing.job_suite import JobSuite
    from headwater.testing.secret_suite import SecretSuite
    from headwater.testing.storage_suites import ObjectStorageSuite, WritableFileSystemSuite

__all__ = [
    "CredentialsSuite",
    "DatabaseSuite",
    "JobSuite",
    "ObjectStorageSuite",
    "SecretSuite",
    "WritableFileSystemSuite",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CredentialsSuite": "headwater.testing.credentials_suite",
        "DatabaseSuite": "headwater.testing.database_suite",
        "JobSuite": "headwater.testing.job_suite",
        "ObjectStorageSuite": "headwater.testing.storage_suites",
        "SecretSuite": "headwater.testing.secret_suite",
        "WritableFileSystemSuite": "headwater.testing.storage_suites",
    },
)
