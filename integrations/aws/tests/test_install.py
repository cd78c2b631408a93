"""headwater-aws installs and works in a fresh environment with only the core beside it.

The test builds a new virtual environment with uv, installs the core and this
package from the repository (no headwater-blocks, no test extras), and runs a
small flow there against the session's moto server: the package must not
depend on anything its ``pyproject.toml`` does not declare.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import hashlib
    import os
    import sys
    from pathlib import Path

    from headwater import flow, task
    from headwater_aws import AwsCredentials, S3Bucket, s3_download, s3_upload


    @task
    def upload_file(block_name: str, path: str, key: str) -> str:
        return S3Bucket.load(block_name).upload_from_path(path, key)


    @task
    def download_file(block_name: str, key: str, target: str) -> str:
        return str(S3Bucket.load(block_name).download_object_to_path(key, target))


    @flow
    def round_trip(source: str, target: str) -> str:
        AwsCredentials(
            aws_access_key_id="AKIAINSTALLTEST",
            aws_secret_access_key="install-test-secret",
            region_name="us-east-1",
            aws_client_parameters={"endpoint_url": os.environ["MOTO_URL"]},
        ).save("install-creds", overwrite=True)
        credentials = AwsCredentials.load("install-creds")
        credentials.get_s3_client().create_bucket(Bucket="install-bucket")
        S3Bucket(bucket_name="install-bucket", credentials=credentials).save(
            "install-bucket", overwrite=True
        )
        bucket = S3Bucket.load("install-bucket")
        assert bucket.credentials.aws_access_key_id == "AKIAINSTALLTEST"

        key = upload_file.submit("install-bucket", source, "incoming/data.bin").result()
        downloaded = download_file("install-bucket", key, target)
        s3_upload(b"second object", "incoming/small.txt", "install-bucket", credentials)
        fetched = s3_download("install-bucket", "incoming/small.txt", credentials)
        assert fetched == b"second object", fetched
        return hashlib.sha256(Path(downloaded).read_bytes()).hexdigest()


    if __name__ == "__main__":
        digest = round_trip(sys.argv[1], sys.argv[2])
        print(f"ROUND-TRIP {digest}")
    """
)


def _uv() -> list[str]:
    """The uv command: the executable on PATH, else ``python -m uv``; the test fails
    (never skips) without one, since CI always installs it."""
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run(
        [sys.executable, "-m", "uv", "--version"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    pytest.fail("uv is needed to build a fresh environment: `pip install uv` (CI's .ci/run does)")


def _run(
    cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_fresh_environment_with_core_only_runs_an_s3_flow(tmp_path: Path, moto_server: str) -> None:
    uv = _uv()
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    # Outside the repository, so uv does not pick up the workspace; the same interpreter
    # as this test run, so nothing is downloaded but packages.
    clean = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    _run(
        [*uv, "venv", "-q", "--python", sys.executable, str(venv)],
        cwd=tmp_path,
        env=clean,
        timeout=120,
    )
    _run(
        [
            *uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            str(REPO_ROOT / "core"),
            str(REPO_ROOT / "integrations" / "aws"),
        ],
        cwd=tmp_path,
        env=clean,
        timeout=240,
    )

    probe = _run(
        [
            str(python),
            "-c",
            "import importlib.util as u; "
            "print(u.find_spec('headwater_blocks') is None, u.find_spec('moto') is None, "
            "u.find_spec('headwater_aws').origin)",
        ],
        cwd=tmp_path,
        env=clean,
        timeout=60,
    )
    no_blocks, no_moto, origin = probe.stdout.split()
    assert no_blocks == "True", "headwater-blocks got installed: headwater-aws must not need it"
    assert no_moto == "True", "moto got installed: test extras leaked into the install"
    assert Path(origin).is_relative_to(venv), origin  # the venv's copy, not the repo's

    source = tmp_path / "data.bin"
    payload = os.urandom(9 * 1024 * 1024 + 17)  # above the 8 MiB multipart threshold
    source.write_bytes(payload)
    script = tmp_path / "round_trip.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in clean.items() if not k.startswith("AWS_")}
    env.update(
        HEADWATER_HOME=str(tmp_path / "home"),
        MOTO_URL=moto_server,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
    )
    result = _run(
        [str(python), str(script), str(source), str(tmp_path / "back" / "data.bin")],
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert f"ROUND-TRIP {hashlib.sha256(payload).hexdigest()}" in result.stdout.splitlines()
    assert (tmp_path / "back" / "data.bin").read_bytes() == payload
