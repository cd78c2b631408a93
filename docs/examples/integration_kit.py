"""A whole integration on the core's kit: the shape of headwater-<vendor> in one file.

The "vendor SDK" here is a stand-in, a folder on disk playing a bucket service
with its own exceptions and a job API, so the example runs anywhere. A real
package keeps the same parts: its error table, its credentials block, its
resource blocks built on the core interfaces, its tasks, and its tests through
the core's suites against a local server.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from pydantic import Field, SecretStr

from headwater import flow, task
from headwater.blocks import CheckResult, CredentialsBlock, JobBlock, JobRun, ObjectStorageBlock
from headwater.errors import (
    AccessDeniedError,
    HeadwaterError,
    ResourceNotFoundError,
    ServiceError,
    ThrottledError,
)
from headwater.translation import translating

# -- the vendor's SDK (a stand-in) ------------------------------------------------------


class VendorError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class VendorClient:
    """What a vendor SDK gives: calls that raise the vendor's own exceptions."""

    def __init__(self, root: Path, token: str) -> None:
        self.root, self.token = root, token
        self.jobs: dict[str, str] = {}

    def _bucket(self, bucket: str) -> Path:
        if self.token != "s3cr3t-token":
            raise VendorError("Unauthorized", "the token was refused")
        path = self.root / bucket
        if not path.is_dir():
            raise VendorError("NoSuchBucket", f"bucket {bucket} does not exist")
        return path

    def put(self, bucket: str, key: str, data: bytes) -> None:
        target = self._bucket(bucket) / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def get(self, bucket: str, key: str) -> bytes:
        source = self._bucket(bucket) / key
        if not source.is_file():
            raise VendorError("NoSuchKey", f"no object {key}")
        return source.read_bytes()

    def keys(self, bucket: str, prefix: str) -> list[str]:
        root = self._bucket(bucket)
        found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        return sorted(k for k in found if k.startswith(prefix))

    def start_job(self, name: str) -> str:
        """Jobs named ``fail-*`` fail, ``slow-*`` run for two seconds, others succeed."""
        self._bucket("data")  # the token is checked
        run_id = f"{name}-{len(self.jobs) + 1}"
        self.jobs[run_id] = "QUEUED"
        final = "FAILED" if name.startswith("fail") else "DONE"
        seconds = 2.0 if name.startswith("slow") else 0.05

        def work() -> None:
            time.sleep(0.05)
            self.jobs[run_id] = "RUNNING"
            time.sleep(seconds)
            self.jobs[run_id] = final

        threading.Thread(target=work, daemon=True).start()
        return run_id

    def job_state(self, run_id: str) -> str:
        if run_id not in self.jobs:
            raise VendorError("NoSuchJob", f"no job run {run_id}")
        return self.jobs[run_id]

    def job_error(self, run_id: str) -> str:
        return "bad input in row 7" if self.jobs.get(run_id) == "FAILED" else ""


# -- 1. errors: the vendor's table, the core's families and `translating` -------------


class WidgetError(ServiceError):
    """The vendor's base: ``except WidgetError`` catches every error of this package."""


class WidgetNotFoundError(WidgetError, ResourceNotFoundError):
    """A FileNotFoundError too, like every ResourceNotFoundError."""


class WidgetAccessDeniedError(WidgetError, AccessDeniedError): ...


class WidgetThrottledError(WidgetError, ThrottledError): ...


_TABLE: dict[str, type[WidgetError]] = {
    "NoSuchBucket": WidgetNotFoundError,
    "NoSuchKey": WidgetNotFoundError,
    "NoSuchJob": WidgetNotFoundError,
    "Unauthorized": WidgetAccessDeniedError,
    "SlowDown": WidgetThrottledError,
}


def to_headwater(exc: BaseException, action: str, resource: str) -> HeadwaterError | None:
    """The mapper `translating` calls: a vendor exception in, our error out (or None)."""
    if not isinstance(exc, VendorError):
        return None
    cls = _TABLE.get(exc.code, WidgetError)
    return cls(f"{action} {resource}: {exc} ({exc.code})", code=exc.code, resource=resource)


# -- 2. credentials: one cached client per block --------------------------------------


class WidgetCredentials(CredentialsBlock[VendorClient]):
    """Credentials for the Widget service."""

    root: str = Field(description="Where the service keeps its buckets.")
    token: SecretStr = Field(description="The API token (a secret: may be env://NAME).")

    def get_client(self) -> VendorClient:
        return self.cached_client(
            "widget", lambda: VendorClient(Path(self.root), self.token.get_secret_value())
        )

    def check(self) -> CheckResult:
        with translating(to_headwater, action="list", resource="buckets"):
            try:
                self.get_client().keys("data", "")
            except VendorError as exc:
                return CheckResult(False, f"{exc.code}: {exc}")
        return CheckResult(True, "the token was accepted")


# -- 3. storage: three primitives; paths, files, folders and async twins come free ----


class WidgetBucket(ObjectStorageBlock):
    """A Widget bucket."""

    bucket_name: str
    credentials: WidgetCredentials
    max_concurrency: int = Field(default=4, gt=0, description="Files moved at once.")

    def upload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        key = self.object_path(to_path)
        with translating(to_headwater, action="upload", resource=f"widget://{key}"):
            self.credentials.get_client().put(self.bucket_name, key, from_file_object.read())
        return key

    def download_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        key = self.object_path(from_path)
        with translating(to_headwater, action="download", resource=f"widget://{key}"):
            to_file_object.write(self.credentials.get_client().get(self.bucket_name, key))
        return to_file_object

    def list_paths(self, folder: str = "") -> list[str]:
        folder = self.object_path(folder, what="folder", folder=True)
        prefix = f"{folder}/" if folder else ""  # "a" lists a/..., never ab/...
        with translating(to_headwater, action="list", resource=f"widget://{prefix}"):
            return self.credentials.get_client().keys(self.bucket_name, prefix)


# -- 4. jobs: describe() and the final states; waiting comes free ---------------------


class WidgetJobRun(JobRun[str]):
    succeeded_states: ClassVar[frozenset[str]] = frozenset({"DONE"})
    failed_states: ClassVar[frozenset[str]] = frozenset({"FAILED"})

    def __init__(self, job: WidgetJob, run_id: str) -> None:
        self.job: WidgetJob = job
        self.id = run_id

    @property
    def label(self) -> str:
        return f"job run {self.id}"

    @property
    def run_id(self) -> str:
        return self.id

    def describe(self) -> str:
        with translating(to_headwater, action="describe", resource=self.label):
            return self.job.credentials.get_client().job_state(self.id)

    def failure_message(self, description: str, state: str) -> str:
        reason = self.job.credentials.get_client().job_error(self.id)
        return f"{self.label} ended {state}: {reason}"

    def fetch_result(self) -> str:
        return self.id


class WidgetJob(JobBlock):
    """A job on the Widget service."""

    job_name: str
    credentials: WidgetCredentials

    def trigger(self) -> WidgetJobRun:
        with translating(to_headwater, action="start", resource=f"job {self.job_name}"):
            run_id = self.credentials.get_client().start_job(self.job_name)
        self.logger.info("started %s", run_id)
        return WidgetJobRun(self, run_id)


# -- 5. tasks: thin wrappers over block methods ----------------------------------------


@task
def widget_upload(bucket: WidgetBucket, from_folder: str, to_folder: str) -> str:
    return bucket.upload_from_folder(from_folder, to_folder, progress=False)


@task
def widget_job_run(job: WidgetJob) -> str:
    run = job.trigger()
    run.wait_for_completion()
    return str(run.fetch_result())


@flow
def widget_pipeline(source: str, bucket: WidgetBucket, job: WidgetJob) -> list[str]:
    widget_upload(bucket, source, "incoming")
    widget_job_run(job)
    return bucket.list_paths("incoming")


if __name__ == "__main__":
    service = Path(tempfile.mkdtemp())
    (service / "data").mkdir()
    source = Path(tempfile.mkdtemp())
    for name in ("a.csv", "sub/b.csv"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("x,y\n1,2\n")
    try:
        creds = WidgetCredentials(root=str(service), token="s3cr3t-token")
        bucket = WidgetBucket(bucket_name="data", credentials=creds)
        job = WidgetJob(job_name="load", credentials=creds, poll_interval_seconds=0.02)
        assert creds.check().ok
        print(widget_pipeline(str(source), bucket, job))  # ['incoming/a.csv', 'incoming/sub/b.csv']

        try:
            bucket.download_object_to_path("incoming/missing.csv", source / "missing.csv")
        except FileNotFoundError as exc:  # the vendor's NoSuchKey, as a builtin
            print(type(exc).__name__, exc.code)  # WidgetNotFoundError NoSuchKey
        try:
            bucket.upload_from_path(source / "a.csv", "../escape.csv")
        except ValueError as exc:  # the core's path rules, inherited
            print("refused:", exc)

        wrong = WidgetBucket(
            bucket_name="data", credentials=WidgetCredentials(root=str(service), token="wrong")
        )
        try:
            wrong.list_paths()
        except PermissionError as exc:
            print(type(exc).__name__)  # WidgetAccessDeniedError
    finally:
        shutil.rmtree(service)
        shutil.rmtree(source)
