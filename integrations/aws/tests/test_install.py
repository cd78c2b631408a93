"""headwater-aws installs and works in a fresh environment with only the core beside it.

The test builds a new virtual environment with uv, installs the core and this
package from the repository (no headwater-blocks, no test extras), and runs a
small flow there against the session's moto server: the package must not
depend on anything its ``pyproject.toml`` does not declare.
"""

from __future__ import annotations

import hashlib
import os
import textwrap
from pathlib import Path

import pytest

from headwater.testing.packaging import (
    core_project,
    fresh_environment,
    isolated_environ,
    run_python,
)

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


@pytest.mark.slow
def test_fresh_environment_with_core_only_runs_an_s3_flow(tmp_path: Path, moto_server: str) -> None:
    python = fresh_environment(tmp_path, [core_project(), REPO_ROOT / "integrations" / "aws"])
    probe = run_python(
        python,
        [
            "-c",
            "import importlib.util as u; "
            "print(u.find_spec('headwater_blocks') is None, u.find_spec('moto') is None, "
            "u.find_spec('headwater_aws').origin)",
        ],
        cwd=tmp_path,
    )
    no_blocks, no_moto, origin = probe.split()
    assert no_blocks == "True", "headwater-blocks got installed: headwater-aws must not need it"
    assert no_moto == "True", "moto got installed: test extras leaked into the install"
    assert Path(origin).is_relative_to(tmp_path / "venv"), origin  # the venv's copy

    source = tmp_path / "data.bin"
    payload = os.urandom(9 * 1024 * 1024 + 17)  # above the 8 MiB multipart threshold
    source.write_bytes(payload)
    script = tmp_path / "round_trip.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in isolated_environ().items() if not k.startswith("AWS_")}
    env.update(
        HEADWATER_HOME=str(tmp_path / "home"),
        MOTO_URL=moto_server,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
    )
    out = run_python(
        python,
        [str(script), str(source), str(tmp_path / "back" / "data.bin")],
        cwd=tmp_path,
        env=env,
    )
    assert f"ROUND-TRIP {hashlib.sha256(payload).hexdigest()}" in out.splitlines()
    assert (tmp_path / "back" / "data.bin").read_bytes() == payload
