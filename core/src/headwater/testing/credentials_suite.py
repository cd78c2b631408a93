"""``CredentialsSuite``: the behaviour every :class:`~headwater.blocks.CredentialsBlock` must have.

fsspec-style: a package's test class inherits the suite and provides fixtures;
pytest then runs every test of the suite against that implementation::

    class TestWidgetCredentials(CredentialsSuite):
        client_args = ("widgets",)            # what get_client() is called with

        @pytest.fixture
        def credentials(self) -> WidgetCredentials:      # credentials that work
            return WidgetCredentials(api_key=..., endpoint=test_server)

        @pytest.fixture
        def bad_credentials(self) -> WidgetCredentials:  # a wrong secret
            return WidgetCredentials(api_key="wrong-key-1234", endpoint=test_server)

        def call_service(self, credentials: WidgetCredentials) -> None:
            credentials.get_client().whoami()            # translated to Headwater errors

It checks that the client is cached per block and built once under
concurrency, that pickling round-trips the block and drops its clients, that
``check()`` returns a :class:`~headwater.blocks.CheckResult` whose message
quotes no secret, and that bad credentials fail ``check()`` and raise an
:class:`~headwater.errors.AccessDeniedError` from a real call.
"""

from __future__ import annotations

import pickle
import threading
from typing import Any, ClassVar

import pytest
from pydantic import SecretBytes, SecretStr

from headwater.blocks import CheckResult, CredentialsBlock
from headwater.errors import AccessDeniedError

__all__ = ["CredentialsSuite", "secret_values"]


def secret_values(block: CredentialsBlock[Any]) -> list[str]:
    """The plain values of the block's own secret fields (to check messages against)."""
    values: list[str] = []
    for name in type(block).secret_fields():
        if "." in name:
            continue
        value = getattr(block, name, None)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
        elif isinstance(value, SecretBytes):
            values.append(value.get_secret_value().decode("utf-8", "replace"))
    return [value for value in values if len(value) >= 4]


class CredentialsSuite:
    """Behavioural tests of a CredentialsBlock; inherit and provide the fixtures."""

    client_args: ClassVar[tuple[Any, ...]] = ()
    """Positional arguments of ``get_client()`` (e.g. a service name)."""

    @pytest.fixture
    def credentials(self) -> CredentialsBlock[Any]:
        """Credentials that work against the test service."""
        raise NotImplementedError("provide a 'credentials' fixture")

    @pytest.fixture
    def bad_credentials(self) -> CredentialsBlock[Any]:
        """Credentials the service refuses (a wrong secret)."""
        raise NotImplementedError("provide a 'bad_credentials' fixture")

    def call_service(self, credentials: CredentialsBlock[Any]) -> None:
        """Make one authenticated call with ``credentials``, errors translated.

        Not defining it fails the suite rather than skipping: an implementation that
        never proves bad credentials are refused must not pass quietly."""
        raise NotImplementedError(f"{type(self).__name__} must define call_service()")

    def _fresh(self, credentials: CredentialsBlock[Any]) -> CredentialsBlock[Any]:
        fresh: CredentialsBlock[Any] = pickle.loads(pickle.dumps(credentials))
        return fresh

    # -- the tests ----------------------------------------------------------------------

    def test_the_client_is_cached(self, credentials: CredentialsBlock[Any]) -> None:
        first = credentials.get_client(*self.client_args)
        assert credentials.get_client(*self.client_args) is first

    def test_the_client_is_built_once_under_concurrency(
        self, credentials: CredentialsBlock[Any]
    ) -> None:
        block = self._fresh(credentials)
        barrier = threading.Barrier(8)
        seen: list[int] = []
        errors: list[BaseException] = []

        def grab() -> None:
            try:
                barrier.wait()
                seen.append(id(block.get_client(*self.client_args)))
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=grab) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert len(set(seen)) == 1

    def test_pickling_round_trips_and_drops_the_clients(
        self, credentials: CredentialsBlock[Any]
    ) -> None:
        client = credentials.get_client(*self.client_args)
        copy = self._fresh(credentials)
        assert copy == credentials
        assert type(copy) is type(credentials)
        assert copy.model_dump(mode="json") == credentials.model_dump(mode="json")
        assert secret_values(copy) == secret_values(credentials)
        assert copy.get_client(*self.client_args) is not client
        assert copy.check().ok

    def test_check_passes_and_quotes_no_secret(self, credentials: CredentialsBlock[Any]) -> None:
        result = credentials.check()
        assert isinstance(result, CheckResult)
        assert result.ok, result.message
        assert result.message
        assert "\n" not in result.message.strip()
        for secret in secret_values(credentials):
            assert secret not in result.message

    def test_bad_credentials_fail_check_without_the_secret(
        self, bad_credentials: CredentialsBlock[Any]
    ) -> None:
        result = bad_credentials.check()
        assert isinstance(result, CheckResult)
        assert not result.ok
        assert result.message
        for secret in secret_values(bad_credentials):
            assert secret not in result.message

    def test_bad_credentials_raise_access_denied(
        self, bad_credentials: CredentialsBlock[Any]
    ) -> None:
        with pytest.raises(AccessDeniedError) as info:
            self.call_service(bad_credentials)
        assert isinstance(info.value, PermissionError)
        for secret in secret_values(bad_credentials):
            assert secret not in str(info.value)
