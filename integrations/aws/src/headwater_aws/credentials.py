"""``AwsCredentials``: how every block of this package reaches AWS.

A block holds either explicit keys (the secret ones as secrets, which may be
references such as ``env://AWS_SECRET`` or ``aws-sm://...``), a profile name,
or nothing at all, in which case boto3's default credential chain applies
(environment, shared files, instance or task role). On top of any of these it
can assume a role: the temporary credentials refresh themselves before they
expire, for as long as the process uses them.

Clients are created once per service and block instance and shared
(:meth:`~headwater.blocks.CredentialsBlock.cached_client`): botocore clients
are thread-safe, sessions are not, so sessions are only touched under the
block's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator

from headwater.blocks import CheckResult, CredentialsBlock
from headwater_aws.errors import AwsError, translate_errors

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

__all__ = ["AwsClientParameters", "AwsCredentials"]

C = TypeVar("C")


class AwsClientParameters(BaseModel):
    """How clients connect: endpoint, TLS and botocore settings (none of them secret)."""

    endpoint_url: str | None = Field(
        default=None,
        description="Send requests here instead of AWS (a VPC endpoint, LocalStack, moto...).",
    )
    verify: bool | str = Field(
        default=True,
        description="Verify TLS certificates: true, false, or the path of a CA bundle.",
    )
    use_ssl: bool = Field(default=True, description="Use HTTPS.")
    api_version: str | None = Field(default=None, description="Pin the service API version.")
    config: dict[str, Any] | None = Field(
        default=None,
        description=(
            "botocore Config options, e.g. "
            '{"retries": {"max_attempts": 10, "mode": "standard"}, "connect_timeout": 5}.'
        ),
    )

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"endpoint_url must start with http:// or https:// (got {value!r})")
        return value or None

    @field_validator("config")
    @classmethod
    def _check_config(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value:
            from botocore.config import Config

            try:
                Config(**value)
            except TypeError as exc:
                raise ValueError(f"config is not a valid botocore Config: {exc}") from None
        return value or None

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``session.client(...)``."""
        kwargs: dict[str, Any] = {"use_ssl": self.use_ssl, "verify": self.verify}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if self.api_version:
            kwargs["api_version"] = self.api_version
        if self.config:
            from botocore.config import Config

            kwargs["config"] = Config(**self.config)
        return kwargs


class AwsCredentials(CredentialsBlock[Any]):
    """Credentials and connection settings for AWS, with typed boto3 client getters.

    Leave the keys and profile empty to use boto3's default credential chain.
    Set ``assume_role_arn`` to work as a role; its temporary credentials are
    refreshed automatically before they expire.

    Example:
        ```python
        from headwater_aws import AwsCredentials

        credentials = AwsCredentials.load("BLOCK_NAME")
        s3 = credentials.get_s3_client()
        print(credentials.check().message)
        ```
    """

    _block_schema_version = 1

    aws_access_key_id: str | None = Field(default=None, description="Access key id.")
    aws_secret_access_key: SecretStr | None = Field(default=None, description="Secret access key.")
    aws_session_token: SecretStr | None = Field(
        default=None, description="Session token of temporary credentials."
    )
    profile_name: str | None = Field(default=None, description="A profile of the shared files.")
    region_name: str | None = Field(
        default=None,
        description="Region, e.g. eu-west-1 (else AWS_DEFAULT_REGION or the profile's).",
    )
    assume_role_arn: str | None = Field(
        default=None, description="Assume this role (arn:aws:iam::123456789012:role/etl)."
    )
    assume_role_session_name: str = Field(
        default="headwater", description="RoleSessionName of the assumed-role session."
    )
    assume_role_external_id: SecretStr | None = Field(
        default=None, description="ExternalId the role's trust policy expects."
    )
    assume_role_duration_seconds: int = Field(
        default=3600, ge=900, le=43200, description="Lifetime of each set of role credentials."
    )
    aws_client_parameters: AwsClientParameters = Field(
        default_factory=AwsClientParameters, description="Endpoint, TLS and botocore settings."
    )

    _session: boto3.Session | None = PrivateAttr(default=None)
    _cache_attributes: ClassVar[tuple[str, ...]] = ("_session",)

    @field_validator("assume_role_arn")
    @classmethod
    def _check_role_arn(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("arn:"):
            raise ValueError(
                f"assume_role_arn must be a role ARN like arn:aws:iam::123456789012:role/name (got {value!r})"
            )
        return value or None

    @field_validator("assume_role_session_name")
    @classmethod
    def _check_session_name(cls, value: str) -> str:
        if not 2 <= len(value) <= 64:
            raise ValueError("assume_role_session_name must be 2 to 64 characters")
        return value

    # -- sessions --------------------------------------------------------------------

    def _base_session(self) -> boto3.Session:
        import boto3

        secret = self.aws_secret_access_key
        token = self.aws_session_token
        return boto3.Session(
            aws_access_key_id=self.aws_access_key_id or None,
            aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
            aws_session_token=token.get_secret_value() if token is not None else None,
            profile_name=self.profile_name or None,
            region_name=self.region_name or None,
        )

    def _assumed_role_session(self, base: boto3.Session) -> boto3.Session:
        import boto3
        from botocore.credentials import DeferredRefreshableCredentials
        from botocore.session import get_session

        arn = self.assume_role_arn
        assert arn is not None
        sts = base.client("sts", **self.aws_client_parameters.client_kwargs())
        external = self.assume_role_external_id

        def refresh() -> dict[str, str]:
            kwargs: dict[str, Any] = {
                "RoleArn": arn,
                "RoleSessionName": self.assume_role_session_name,
                "DurationSeconds": self.assume_role_duration_seconds,
            }
            if external is not None:
                kwargs["ExternalId"] = external.get_secret_value()
            with translate_errors("assume role", arn):
                creds = sts.assume_role(**kwargs)["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        botocore_session = get_session()
        # botocore has no public setter for refreshable credentials; this attribute is
        # what its own credential resolver fills in.
        creds = DeferredRefreshableCredentials(refresh_using=refresh, method="sts-assume-role")
        botocore_session._credentials = creds  # type: ignore[attr-defined]
        region = base.region_name
        if region:
            botocore_session.set_config_variable("region", region)
        return boto3.Session(botocore_session=botocore_session)

    def get_boto3_session(self) -> boto3.Session:
        """The boto3 session of these credentials (created once; not thread-safe itself,
        so prefer the client getters, which are)."""
        return self.build_client(self._session_locked)

    def _session_locked(self) -> boto3.Session:
        if self._session is None:
            with translate_errors("open a session for", self._label()):
                base = self._base_session()
                self._session = self._assumed_role_session(base) if self.assume_role_arn else base
        return self._session

    def _label(self) -> str:
        name = self.block_document_name
        return f"AwsCredentials {name!r}" if name else "AwsCredentials"

    # -- clients ---------------------------------------------------------------------

    def _client_factory(
        self, client_type: str, build: Callable[[boto3.Session, dict[str, Any]], C], **kwargs: Any
    ) -> Callable[[], C]:
        """A factory building one client under the block's lock, its errors translated."""

        def factory() -> C:
            session = self._session_locked()
            with translate_errors("create a client for", client_type):
                try:
                    return build(session, {**self.aws_client_parameters.client_kwargs(), **kwargs})
                except Exception as exc:
                    from botocore.exceptions import UnknownServiceError

                    if isinstance(exc, UnknownServiceError):
                        raise ValueError(
                            f"client_type {client_type!r} is not an AWS service boto3 knows"
                        ) from None
                    raise

        return factory

    def _shared(self, client_type: str, build: Callable[[boto3.Session, dict[str, Any]], C]) -> C:
        return self.cached_client(client_type, self._client_factory(client_type, build))

    def get_client(self, client_type: str, **client_kwargs: Any) -> Any:
        """A boto3 client for ``client_type`` (``"s3"``, ``"secretsmanager"``...).

        Without extra arguments the client is created once and shared across
        threads; ``client_kwargs`` (``config=``, ``endpoint_url=``...) override
        the block's client parameters for one new, unshared client.
        """
        if not isinstance(client_type, str) or not client_type:
            raise ValueError("client_type must be an AWS service name such as 's3'")

        def build(session: Any, kwargs: dict[str, Any]) -> Any:
            return session.client(client_type, **kwargs)

        if client_kwargs:
            return self.build_client(self._client_factory(client_type, build, **client_kwargs))
        return self._shared(client_type, build)

    def get_s3_client(self) -> S3Client:
        """The shared S3 client."""
        return self._shared("s3", lambda s, kw: s.client("s3", **kw))

    def get_secrets_manager_client(self) -> SecretsManagerClient:
        """The shared Secrets Manager client."""
        return self._shared("secretsmanager", lambda s, kw: s.client("secretsmanager", **kw))

    def get_ssm_client(self) -> SSMClient:
        """The shared SSM (Parameter Store) client."""
        return self._shared("ssm", lambda s, kw: s.client("ssm", **kw))

    def get_lambda_client(self) -> LambdaClient:
        """The shared Lambda client."""
        return self._shared("lambda", lambda s, kw: s.client("lambda", **kw))

    def get_batch_client(self) -> BatchClient:
        """The shared Batch client."""
        return self._shared("batch", lambda s, kw: s.client("batch", **kw))

    def get_glue_client(self) -> GlueClient:
        """The shared Glue client."""
        return self._shared("glue", lambda s, kw: s.client("glue", **kw))

    def get_sts_client(self) -> STSClient:
        """The shared STS client."""
        return self._shared("sts", lambda s, kw: s.client("sts", **kw))

    def check(self) -> CheckResult:
        """Ask STS who these credentials are (``GetCallerIdentity``, which needs no permission)."""
        try:
            with translate_errors("check", self._label()):
                identity = self.get_sts_client().get_caller_identity()
        except (AwsError, ValueError) as exc:
            return CheckResult(False, str(exc))
        return CheckResult(
            True, f"account {identity['Account']}, {identity['Arn']} (user id {identity['UserId']})"
        )
