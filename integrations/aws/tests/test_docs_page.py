"""The CLI commands and the YAML on docs/pages/aws.md work as shown, against moto."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from headwater.blocks import Block
from headwater_aws import AwsCredentials, AwsSecret, S3Bucket

PAGE = Path(__file__).resolve().parents[3] / "docs" / "pages" / "aws.md"


def _fenced_after(marker: str, language: str) -> str:
    text = PAGE.read_text()
    start = text.index(f"<!-- {marker} -->")
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no {language} block after {marker}"
    return match.group(1)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "headwater.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AWS_PROD_SECRET", "prod-secret-from-env-1")
    return dict(os.environ)


def test_the_console_session_on_the_page(cli_env: dict[str, str]) -> None:
    session = _fenced_after("aws-cli", "console")
    commands = [line[2:] for line in session.splitlines() if line.startswith("$ ")]
    assert len(commands) == 3
    outputs = [line for line in session.splitlines() if line and not line.startswith("$ ")]
    for command, expected in zip(commands, outputs, strict=True):
        args = shlex.split(command)
        assert args[0] == "headwater"
        result = _cli(*args[1:], env=cli_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected, (result.stdout, expected)
    lake = S3Bucket.load("lake")
    assert lake.bucket_folder == "raw"
    assert lake.credentials.aws_secret_access_key is not None
    assert lake.credentials.aws_secret_access_key.get_secret_value() == "prod-secret-from-env-1"


def test_the_yaml_on_the_page_applies(cli_env: dict[str, str], tmp_path: Path) -> None:
    blocks_file = tmp_path / "blocks.yaml"
    blocks_file.write_text(_fenced_after("aws-yaml", "yaml"))
    result = _cli("block", "apply", "-f", str(blocks_file), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "3 created" in result.stdout
    again = _cli("block", "apply", "-f", str(blocks_file), env=cli_env)
    assert "3 unchanged" in again.stdout, again.stdout
    lake = Block.load("s3-bucket/lake")
    assert isinstance(lake, S3Bucket)
    assert lake.upload_extra_args == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "alias/lake",
    }
    secret = AwsSecret.load("warehouse")
    assert isinstance(secret.aws_credentials, AwsCredentials)
    assert secret.aws_credentials.region_name == "eu-west-1"
    # nested by reference: rotating the credentials reaches the bucket block
    rotated = AwsCredentials.load("prod")
    rotated.region_name = "us-east-1"
    rotated.save("prod", overwrite=True)
    assert S3Bucket.load("lake").credentials.region_name == "us-east-1"
