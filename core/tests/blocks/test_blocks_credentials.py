"""CredentialsBlock[ClientT]: the client cache, pickling and copying, check() and registration."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from headwater.blocks import Block, CheckResult, CredentialsBlock, get_block_class, interfaces
from headwater.errors import AccessDeniedError
from headwater.testing import CredentialsSuite


@dataclass
class WidgetClient:
    """A client of an imaginary service, built slowly (as SDK clients are)."""

    api_key: str
    region: str
    serial: int = field(default=0)


_built: list[str] = []
_built_lock = threading.Lock()


class WidgetCredentials(CredentialsBlock[WidgetClient]):
    """Credentials of the widget service (a test block)."""

    api_key: SecretStr
    region: str = "eu"

    def get_client(self, region: str | None = None) -> WidgetClient:  # type: ignore[override]
        key = region or self.region

        def build() -> WidgetClient:
            time.sleep(0.01)  # widen the window in which threads race
            with _built_lock:
                _built.append(key)
                serial = len(_built)
            if self.api_key.get_secret_value() == "broken":
                raise RuntimeError("the widget service refused the key")
            return WidgetClient(self.api_key.get_secret_value(), key, serial)

        return self.cached_client(("widget", key), build)


@pytest.fixture(autouse=True)
def _reset_built() -> None:
    _built.clear()


def test_the_class_is_registered_and_generic_parameters_do_not_register() -> None:
    assert get_block_class("widget-credentials") is WidgetCredentials
    assert WidgetCredentials.get_block_capabilities() >= {"get-client", "check"}
    assert interfaces.CredentialsBlock is CredentialsBlock
    assert interfaces.CheckResult is CheckResult
    schema = WidgetCredentials.block_json_schema()
    assert schema["block_type_slug"] == "widget-credentials"
    assert schema["secret_fields"] == ["api_key"]


def test_one_factory_call_per_key_under_concurrent_threads() -> None:
    creds = WidgetCredentials(api_key=SecretStr("k-1234"))
    barrier = threading.Barrier(12)
    seen: list[WidgetClient] = []

    def grab(region: str | None) -> None:
        barrier.wait()
        seen.append(creds.get_client(region))

    threads = [
        threading.Thread(target=grab, args=(("us",) if i % 2 else (None,))) for i in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(_built) == ["eu", "us"]
    assert len({id(client) for client in seen}) == 2
    assert creds.get_client() is creds.get_client("eu")


def test_a_failing_factory_keeps_nothing_and_is_retried() -> None:
    creds = WidgetCredentials(api_key=SecretStr("broken"))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            creds.get_client()
    assert _built == ["eu", "eu"]


def test_a_factory_may_use_the_cache_itself() -> None:
    creds = WidgetCredentials(api_key=SecretStr("k-1234"))
    outer = creds.cached_client("outer", lambda: ("outer", creds.get_client()))
    assert outer[1] is creds.get_client()


def test_pickling_drops_the_cache_and_the_copy_builds_a_fresh_client() -> None:
    creds = WidgetCredentials(api_key=SecretStr("k-1234"))
    first = creds.get_client()
    data = pickle.dumps(creds)
    assert b"WidgetClient" not in data
    clone = pickle.loads(data)
    assert clone.model_dump() == creds.model_dump()
    assert clone.api_key.get_secret_value() == "k-1234"
    fresh = clone.get_client()
    assert fresh is not first
    assert fresh.serial == 2
    assert creds.get_client() is first  # the original keeps its own


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy, lambda b: b.model_copy()])
def test_copies_do_not_share_the_cache(copier: Any) -> None:
    creds = WidgetCredentials(api_key=SecretStr("k-1234"))
    first = creds.get_client()
    clone = copier(creds)
    assert clone.get_client() is not first
    assert creds.get_client() is first


def test_changing_a_field_drops_clients_built_from_the_old_value() -> None:
    creds = WidgetCredentials(api_key=SecretStr("k-1234"))
    old = creds.get_client()
    creds.api_key = SecretStr("k-5678")
    new = creds.get_client()
    assert new is not old
    assert new.api_key == "k-5678"


def test_check_default_builds_a_client() -> None:
    good = WidgetCredentials(api_key=SecretStr("k-1234")).check()
    assert good == CheckResult(True, "a client was created (the connection itself was not tested)")
    bad = WidgetCredentials(api_key=SecretStr("broken")).check()
    assert not bad.ok
    assert bad.message == "RuntimeError: the widget service refused the key"


def test_async_twins_run_the_sync_methods() -> None:
    creds = WidgetCredentials(api_key=SecretStr("k-1234"))

    async def main() -> tuple[WidgetClient, CheckResult]:
        return await creds.aget_client(), await creds.acheck()

    client, result = asyncio.run(main())
    assert client is creds.get_client()
    assert result.ok


def test_declared_cache_attributes_are_reset_too() -> None:
    from pydantic import PrivateAttr

    class SessionCredentials(CredentialsBlock[str]):
        """Credentials with a session cache (a test block)."""

        _cache_attributes = ("_session",)
        _session: str | None = PrivateAttr(default=None)

        def get_client(self) -> str:  # type: ignore[override]
            self._session = "open"
            return self.cached_client("c", lambda: "client")

    creds = SessionCredentials()
    creds.get_client()
    state = creds.__getstate__()["__pydantic_private__"]
    assert "_session" not in state
    assert "_client_cache" not in state
    assert copy.copy(creds)._session is None
    creds.clear_client_cache()
    assert creds._session is None
    assert isinstance(creds, Block)


def test_equality_ignores_the_caches() -> None:
    one = WidgetCredentials(api_key=SecretStr("k-1234"))
    two = WidgetCredentials(api_key=SecretStr("k-1234"))
    one.get_client()
    assert one == two
    assert pickle.loads(pickle.dumps(one)) == one
    assert one != WidgetCredentials(api_key=SecretStr("k-1234"), region="us")


# -- the CredentialsSuite, run against a small in-test service --------------------------

VALID_KEY = "good-key-1234"


class GuardedClient:
    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def whoami(self) -> str:
        if self._api_key != VALID_KEY:
            raise AccessDeniedError("whoami: the service refused the key", resource="widgets")
        return "user ada"


class GuardedCredentials(CredentialsBlock[GuardedClient]):
    """Credentials of a service that checks the key (a test block)."""

    api_key: SecretStr

    def get_client(self) -> GuardedClient:  # type: ignore[override]
        return self.cached_client("c", lambda: GuardedClient(self.api_key.get_secret_value()))

    def check(self) -> CheckResult:
        try:
            who = self.get_client().whoami()
        except AccessDeniedError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, who)


class TestGuardedCredentials(CredentialsSuite):
    @pytest.fixture
    def credentials(self) -> GuardedCredentials:
        return GuardedCredentials(api_key=SecretStr(VALID_KEY))

    @pytest.fixture
    def bad_credentials(self) -> GuardedCredentials:
        return GuardedCredentials(api_key=SecretStr("wrong-key-5678"))

    def call_service(self, credentials: CredentialsBlock[Any]) -> None:
        credentials.get_client().whoami()


class UncachedCredentials(GuardedCredentials):
    """A defective block that builds a new client on every call (a test block)."""

    def get_client(self) -> GuardedClient:  # type: ignore[override]
        return GuardedClient(self.api_key.get_secret_value())


class LeakyCredentials(GuardedCredentials):
    """A defective block whose check() quotes its key (a test block)."""

    def check(self) -> CheckResult:
        return CheckResult(True, f"key {self.api_key.get_secret_value()} works")


def test_the_suite_catches_a_block_that_does_not_cache() -> None:
    suite = TestGuardedCredentials()
    with pytest.raises(AssertionError):
        suite.test_the_client_is_cached(UncachedCredentials(api_key=SecretStr(VALID_KEY)))


def test_the_suite_catches_a_check_that_quotes_the_secret() -> None:
    suite = TestGuardedCredentials()
    with pytest.raises(AssertionError):
        suite.test_check_passes_and_quotes_no_secret(LeakyCredentials(api_key=SecretStr(VALID_KEY)))
