"""AWS Secrets Manager: the ``AwsSecret`` block, its tasks and the ``aws-sm://`` reference resolver.

Every value read or written here is registered with the log masker, so
printing or logging it inside a run shows ``********``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from headwater import task
from headwater.blocks import SecretBlock
from headwater_aws.credentials import AwsCredentials
from headwater_aws.errors import ResourceExistsError, ResourceNotFoundError, translate_errors
from headwater_aws.resolvers import (
    arn_region,
    cached_resolve,
    default_client,
    extract_json_key,
    parse_reference,
    register_secret_value,
)

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = [
    "AwsSecret",
    "create_secret",
    "delete_secret",
    "read_secret",
    "resolve_secrets_manager_reference",
    "update_secret",
]

SCHEME = "aws-sm"
_REFERENCE_OPTIONS = ("version_id", "version_stage")
_DEFAULT_RECOVERY_DAYS = 30


def _label(secret_name: str) -> str:
    return f"secret {secret_name!r}"


def _check_name(secret_name: object) -> str:
    if not isinstance(secret_name, str) or not secret_name.strip():
        raise ValueError(f"secret_name must be a secret's name or ARN, not {secret_name!r}")
    return secret_name


def _register(value: str | bytes) -> None:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return
    register_secret_value(value)


def _value_kwargs(value: str | bytes) -> dict[str, Any]:
    """``SecretString`` for text (including bytes that are valid UTF-8), else ``SecretBinary``."""
    if isinstance(value, bytes | bytearray):
        try:
            return {"SecretString": bytes(value).decode("utf-8")}
        except UnicodeDecodeError:
            return {"SecretBinary": bytes(value)}
    if isinstance(value, str):
        return {"SecretString": value}
    raise TypeError(f"a secret value must be str or bytes, not {type(value).__name__}")


def _get_value(
    client: SecretsManagerClient,
    secret_name: str,
    *,
    version_id: str | None = None,
    version_stage: str | None = None,
) -> str | bytes:
    """The SecretString (str) or SecretBinary (bytes) of a secret, registered for masking."""
    kwargs: dict[str, Any] = {"SecretId": _check_name(secret_name)}
    if version_id:
        kwargs["VersionId"] = version_id
    if version_stage:
        kwargs["VersionStage"] = version_stage
    with translate_errors("read", _label(secret_name)):
        response = client.get_secret_value(**kwargs)
    if "SecretString" in response:
        value: str | bytes = response["SecretString"]
    else:
        value = bytes(response.get("SecretBinary", b""))
    _register(value)
    return value


def _create(
    client: SecretsManagerClient, secret_name: str, value: str | bytes, **create_kwargs: Any
) -> dict[str, str]:
    clash = sorted({"Name", "SecretString", "SecretBinary"} & set(create_kwargs))
    if clash:
        raise TypeError(f"create_kwargs may not set {', '.join(clash)}: pass them as arguments")
    payload = _value_kwargs(value)
    _register(value)
    with translate_errors("create", _label(secret_name)):
        response = client.create_secret(Name=_check_name(secret_name), **payload, **create_kwargs)
    return {"Name": response["Name"], "ARN": response["ARN"], "VersionId": response["VersionId"]}


def _delete(
    client: SecretsManagerClient,
    secret_name: str,
    recovery_window_in_days: int | None,
    force_delete_without_recovery: bool,
) -> dict[str, Any]:
    if not isinstance(force_delete_without_recovery, bool):
        raise TypeError("force_delete_without_recovery must be True or False")
    window = recovery_window_in_days
    if window is not None and (isinstance(window, bool) or not isinstance(window, int)):
        raise TypeError(f"recovery_window_in_days must be a whole number of days, not {window!r}")
    kwargs: dict[str, Any] = {"SecretId": _check_name(secret_name)}
    if force_delete_without_recovery:
        if window not in (None, _DEFAULT_RECOVERY_DAYS):
            raise ValueError(
                "force_delete_without_recovery deletes the secret at once: it cannot be combined "
                f"with recovery_window_in_days={window}"
            )
        kwargs["ForceDeleteWithoutRecovery"] = True
    else:
        days = _DEFAULT_RECOVERY_DAYS if window is None else window
        if not 7 <= days <= 30:
            raise ValueError(f"recovery_window_in_days must be from 7 to 30 days, not {days}")
        kwargs["RecoveryWindowInDays"] = days
    with translate_errors("delete", _label(secret_name)):
        response = client.delete_secret(**kwargs)
    return {
        "Name": response["Name"],
        "ARN": response["ARN"],
        "DeletionDate": response["DeletionDate"],
    }


class AwsSecret(SecretBlock):
    """A secret in AWS Secrets Manager, read and written as bytes.

    Text (valid UTF-8) is stored as the secret's SecretString, anything else
    as SecretBinary. Values read or written are masked in run logs.

    Example:
        ```python
        from headwater_aws import AwsSecret

        secret = AwsSecret.load("BLOCK_NAME")
        password = secret.read_secret().decode()
        ```
    """

    _block_schema_version = 1
    _documentation_url = "https://headwater.dev/integrations/aws/#secrets-manager"

    secret_name: str = Field(
        min_length=1, description="Name or ARN of the secret (e.g. prod/db/password)."
    )
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="How to reach AWS; empty uses boto3's default credential chain.",
    )

    def _client(self) -> SecretsManagerClient:
        return self.aws_credentials.get_secrets_manager_client()

    def read_secret(
        self, *, version_id: str | None = None, version_stage: str | None = None
    ) -> bytes:
        """The current value (or the given version or stage, e.g. ``AWSPREVIOUS``) as bytes."""
        value = _get_value(
            self._client(), self.secret_name, version_id=version_id, version_stage=version_stage
        )
        return value.encode("utf-8") if isinstance(value, str) else value

    def write_secret(self, secret_data: bytes) -> str:
        """Store ``secret_data`` as a new current version, creating the secret if it does
        not exist; returns the secret's ARN."""
        client = self._client()
        payload = _value_kwargs(secret_data)
        _register(secret_data)
        try:
            with translate_errors("write", _label(self.secret_name)):
                return client.put_secret_value(SecretId=self.secret_name, **payload)["ARN"]
        except ResourceNotFoundError:
            pass
        try:
            return _create(client, self.secret_name, secret_data)["ARN"]
        except ResourceExistsError:
            pass  # created meanwhile by another writer: add our version to it
        with translate_errors("write", _label(self.secret_name)):
            return client.put_secret_value(SecretId=self.secret_name, **payload)["ARN"]

    def delete_secret(
        self,
        *,
        recovery_window_in_days: int | None = _DEFAULT_RECOVERY_DAYS,
        force_delete_without_recovery: bool = False,
    ) -> str:
        """Schedule the secret's deletion after a recovery window of 7 to 30 days, or
        delete it at once with ``force_delete_without_recovery=True``; returns its ARN."""
        response = _delete(
            self._client(), self.secret_name, recovery_window_in_days, force_delete_without_recovery
        )
        return str(response["ARN"])


# -- tasks -----------------------------------------------------------------------------


@task
def read_secret(
    secret_name: str,
    aws_credentials: AwsCredentials,
    version_id: str | None = None,
    version_stage: str | None = None,
) -> str | bytes:
    """The value of a secret: its SecretString as str, or its SecretBinary as bytes."""
    return _get_value(
        aws_credentials.get_secrets_manager_client(),
        secret_name,
        version_id=version_id,
        version_stage=version_stage,
    )


@task
def create_secret(
    secret_name: str,
    secret_value: str | bytes,
    aws_credentials: AwsCredentials,
    **create_kwargs: Any,
) -> dict[str, str]:
    """Create a secret (ResourceExistsError when it exists); returns its Name, ARN and VersionId.

    ``create_kwargs`` go to Secrets Manager's CreateSecret (``Description``,
    ``KmsKeyId``, ``Tags``...).
    """
    return _create(
        aws_credentials.get_secrets_manager_client(), secret_name, secret_value, **create_kwargs
    )


@task
def update_secret(
    secret_name: str,
    secret_value: str | bytes,
    aws_credentials: AwsCredentials,
    description: str = "",
) -> dict[str, str]:
    """Give an existing secret a new value (and a new description unless ``description``
    is empty); returns its Name, ARN and VersionId."""
    client = aws_credentials.get_secrets_manager_client()
    kwargs: dict[str, Any] = {"SecretId": _check_name(secret_name), **_value_kwargs(secret_value)}
    if description:
        kwargs["Description"] = description
    _register(secret_value)
    with translate_errors("update", _label(secret_name)):
        response = client.update_secret(**kwargs)
    return {"Name": response["Name"], "ARN": response["ARN"], "VersionId": response["VersionId"]}


@task
def delete_secret(
    secret_name: str,
    aws_credentials: AwsCredentials,
    recovery_window_in_days: int | None = _DEFAULT_RECOVERY_DAYS,
    force_delete_without_recovery: bool = False,
) -> dict[str, Any]:
    """Schedule a secret's deletion (or delete it at once with ``force_delete_without_recovery``);
    returns its Name, ARN and DeletionDate."""
    return _delete(
        aws_credentials.get_secrets_manager_client(),
        secret_name,
        recovery_window_in_days,
        force_delete_without_recovery,
    )


# -- the aws-sm:// resolver ---------------------------------------------------------------


def resolve_secrets_manager_reference(reference: str) -> str:
    """Resolve ``aws-sm://<name-or-ARN>[?version_stage=...|version_id=...][#json-key]``.

    Uses boto3's default credential chain; an ARN selects its region. The
    value is cached briefly (see :mod:`headwater_aws.resolvers`).
    """
    parsed = parse_reference(reference, SCHEME)
    unknown = sorted(set(parsed.query) - set(_REFERENCE_OPTIONS))
    if unknown:
        raise ValueError(
            f"{reference!r} has unknown option(s) {', '.join(unknown)}; "
            f"{SCHEME}:// references take {' and '.join(_REFERENCE_OPTIONS)}"
        )

    def load() -> str:
        with translate_errors("read", _label(parsed.name)):
            client = default_client("secretsmanager", arn_region(parsed.name))
        value = _get_value(
            client,
            parsed.name,
            version_id=parsed.query.get("version_id"),
            version_stage=parsed.query.get("version_stage"),
        )
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(
                    f"{_label(parsed.name)} holds binary data that is not UTF-8 text; "
                    f"{SCHEME}:// references resolve to text"
                ) from None
        return extract_json_key(value, parsed)

    return cached_resolve(reference, load)
