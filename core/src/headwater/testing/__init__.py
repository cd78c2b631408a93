"""Test helpers for Headwater and the packages built on it.

- :mod:`headwater.testing.blocks`: ``assert_block_conforms``, the conformance
  suite every block package runs over its blocks.
- :mod:`headwater.testing.fixtures`: a pytest plugin with the ``headwater_home``
  fixture (``pytest_plugins = ["headwater.testing.fixtures"]``).
- Behavioural suites an implementation's test class inherits (fsspec-style),
  providing fixtures: :class:`CredentialsSuite`
  (:mod:`headwater.testing.credentials_suite`) and :class:`JobSuite`
  (:mod:`headwater.testing.job_suite`).

Names are imported on first use, so importing this package loads neither
pytest nor pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.lazy import lazy_exports

if TYPE_CHECKING:
    from headwater.testing.credentials_suite import CredentialsSuite
    from headwater.testing.job_suite import JobSuite

__all__ = ["CredentialsSuite", "JobSuite"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CredentialsSuite": "headwater.testing.credentials_suite",
        "JobSuite": "headwater.testing.job_suite",
    },
)
