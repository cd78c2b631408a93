"""Fixtures for headwater-aws' tests: a real moto server, started once per session.

boto3 talks to it over HTTP on 127.0.0.1 exactly as it talks to AWS; nothing is
patched in process. Every test gets:

- a fresh ``HEADWATER_HOME`` (the core's ``headwater_home`` fixture);
- an environment with every real AWS variable removed and dummy credentials,
  region and ``AWS_ENDPOINT_URL`` pointing at moto, so the default credential
  chain (used by the ``aws-sm://`` resolver) also reaches moto;
- a moto whose state was reset before the test.

``aws_credentials`` is an :class:`AwsCredentials` block with explicit keys and
moto's endpoint; ``bucket`` creates an empty bucket and returns its name.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from headwater.testing.fixtures import headwater_home
from headwater_aws import AwsCredentials

__all__ = ["headwater_home"]

REGION = "us-east-1"
MOTO_CONFIG = {"lambda": {"use_docker": False}, "batch": {"use_docker": False}}


def _post(url: str, body: object | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The URL of a moto server on 127.0.0.1 (one per test session)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    _post(f"{url}/moto-api/config", MOTO_CONFIG)
    try:
        yield url
    finally:
        server.stop()


def reset_moto(url: str) -> None:
    """Forget every resource moto holds and re-apply the no-Docker configuration."""
    _post(f"{url}/moto-api/reset")
    _post(f"{url}/moto-api/config", MOTO_CONFIG)


@pytest.fixture(autouse=True)
def aws_env(moto_server: str, headwater_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean AWS environment pointing at a freshly reset moto; returns moto's URL."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-env")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(headwater_home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(headwater_home / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    reset_moto(moto_server)
    from headwater_aws.resolvers import clear_secret_cache

    clear_secret_cache()
    return moto_server


@pytest.fixture
def aws_credentials(moto_server: str) -> AwsCredentials:
    """Explicit keys and moto's endpoint (independent of the environment)."""
    return AwsCredentials(
        aws_access_key_id="AKIATESTKEY0001",
        aws_secret_access_key="moto-secret-key-1234",
        region_name=REGION,
        aws_client_parameters={"endpoint_url": moto_server},
    )


@pytest.fixture
def bucket(aws_credentials: AwsCredentials) -> str:
    """An empty bucket on moto; its name."""
    name = "headwater-test-bucket"
    aws_credentials.get_s3_client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def iam_enforced(moto_server: str) -> Iterator[None]:
    """Make the moto server check signatures and IAM policies, as AWS does.

    ``moto.core.authorization.enable_iam_authentication`` switches the server
    itself (it runs in this process, on a thread) from "accept anything" to
    real authentication: unknown keys get ``InvalidAccessKeyId``, a user
    without a policy allowing the action gets ``AccessDenied``. Create users
    and keys with a client built before or inside the block (moto's root
    account keys ``testing``... are not IAM users: use the ``make_iam_user`` fixture).
    """
    from moto.core.authorization import enable_iam_authentication

    with enable_iam_authentication():
        yield


@pytest.fixture
def make_iam_user(moto_server: str) -> Callable[..., tuple[str, str]]:
    """``make_iam_user(name, policy=None)`` creates an IAM user on moto (with an inline
    ``policy`` when given) and returns its (key id, secret key)."""
    return lambda name, policy=None: _make_iam_user(moto_server, name, policy)


def _make_iam_user(
    moto_url: str, name: str, policy: dict[str, object] | None = None
) -> tuple[str, str]:
    import boto3
    from moto.core.authorization import disable_iam_authentication

    with disable_iam_authentication():
        iam = boto3.client("iam", endpoint_url=moto_url, region_name=REGION)
        iam.create_user(UserName=name)
        if policy is not None:
            iam.put_user_policy(
                UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy)
            )
        key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
