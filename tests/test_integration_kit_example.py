"""The integration on the development page passes the core's suites.

``docs/examples/integration_kit.py`` is what docs/pages/development.md shows a
new integration author. Running the same suites the real packages run over its
blocks proves the page's claim: a vendor that implements the primitives and an
error table gets conforming storage, credentials and jobs from the kit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from headwater.blocks import CredentialsBlock, JobBlock, ObjectStorageBlock
from headwater.testing import CredentialsSuite, JobSuite, ObjectStorageSuite

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "integration_kit.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("integration_kit_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the blocks' annotations through it
    spec.loader.exec_module(module)
    return module


kit = _load()


@pytest.fixture
def service(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    (root / "data").mkdir(parents=True)
    return root


def _credentials(service: Path, token: str = "s3cr3t-token") -> Any:
    return kit.WidgetCredentials(root=str(service), token=token)


class TestWidgetBucket(ObjectStorageSuite):
    @pytest.fixture
    def block(self, service: Path) -> ObjectStorageBlock:
        bucket: ObjectStorageBlock = kit.WidgetBucket(
            bucket_name="data", credentials=_credentials(service)
        )
        return bucket


class TestWidgetCredentials(CredentialsSuite):
    @pytest.fixture
    def credentials(self, service: Path) -> CredentialsBlock[Any]:
        creds: CredentialsBlock[Any] = _credentials(service)
        return creds

    @pytest.fixture
    def bad_credentials(self, service: Path) -> CredentialsBlock[Any]:
        creds: CredentialsBlock[Any] = _credentials(service, token="not-the-token")
        return creds

    def call_service(self, credentials: CredentialsBlock[Any]) -> None:
        kit.WidgetBucket(bucket_name="data", credentials=credentials).list_paths()


class TestWidgetJob(JobSuite):
    failure_reason = "bad input in row 7"

    def _job(self, service: Path, name: str, **settings: Any) -> JobBlock:
        job: JobBlock = kit.WidgetJob(
            job_name=name, credentials=_credentials(service), poll_interval_seconds=0.02, **settings
        )
        return job

    @pytest.fixture
    def job(self, service: Path) -> JobBlock:
        return self._job(service, "load")

    @pytest.fixture
    def failing_job(self, service: Path) -> JobBlock:
        return self._job(service, "fail-load")

    @pytest.fixture
    def unfinished_job(self, service: Path) -> JobBlock:
        return self._job(service, "slow-load", timeout_seconds=0.3)


def test_vendor_errors_reach_users_as_the_core_families(service: Path) -> None:
    from headwater.errors import ResourceNotFoundError, ServiceError

    bucket = kit.WidgetBucket(bucket_name="nope", credentials=_credentials(service))
    with pytest.raises(ResourceNotFoundError) as info:
        bucket.list_paths()
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, ServiceError)
    assert info.value.code == "NoSuchBucket"
    assert isinstance(info.value.__cause__, kit.VendorError)
