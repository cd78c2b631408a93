"""``CredentialsBlock[ClientT]``: credentials for a service, and the clients built from them.

An integration subclasses it, implements ``get_client()`` (and usually
``check()``) and keeps its clients with :meth:`CredentialsBlock.cached_client`:
one client per key, built once even when many threads ask at the same time,
and shared afterwards (SDK clients are generally thread-safe, their sessions
often are not, so every factory runs under the block's lock)::

    class WidgetCredentials(CredentialsBlock[WidgetClient]):
        api_key: SecretStr

        def get_client(self) -> WidgetClient:
            return self.cached_client("widget", lambda: WidgetClient(self.api_key.get_secret_value()))

Cached clients are not part of the block: pickling drops them (a block sent to
another process builds its own), and so do copying and changing a field. A
subclass that caches more (a session) declares those private attributes in
``_cache_attributes``; they are reset to their defaults in the same cases.
"""

from __future__ import annotations

import asyncio
import threading
from abc import abstractmethod
from collections.abc import Callable, Hashable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import PrivateAttr

from headwater.blocks.core import Block

__all__ = ["CheckResult", "ClientT", "CredentialsBlock"]

ClientT = TypeVar("ClientT")
"""The type of client ``get_client()`` returns."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of :meth:`CredentialsBlock.check`: ``ok`` and a one-line message (no secrets)."""

    ok: bool
    message: str


class CredentialsBlock(Block, Generic[ClientT]):
    """Credentials for a service: ``get_client()`` builds a client, ``check()`` tests them.

    Subclasses keep clients with :meth:`cached_client`; ``acheck()`` and
    ``aget_client()`` are async twins that run the sync methods in a thread.
    """

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"get-client", "check"})
    _cache_attributes: ClassVar[tuple[str, ...]] = ()
    """Private attributes (besides the client cache) that are caches: not pickled, not copied."""

    _client_cache: dict[Hashable, Any] = PrivateAttr(default_factory=dict)
    _client_lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)

    @abstractmethod
    def get_client(self, *args: Any, **kwargs: Any) -> ClientT:
        """A client of the service, authenticated with these credentials."""

    async def aget_client(self, *args: Any, **kwargs: Any) -> ClientT:
        """:meth:`get_client` in a worker thread (building a client may do I/O)."""
        return await asyncio.to_thread(self.get_client, *args, **kwargs)

    def check(self) -> CheckResult:
        """Test the credentials. The default only builds a client; blocks that can
        make a cheap authenticated call override this to make one."""
        try:
            self.get_client()
        except Exception as exc:
            return CheckResult(False, f"{type(exc).__name__}: {exc}")
        return CheckResult(True, "a client was created (the connection itself was not tested)")

    async def acheck(self) -> CheckResult:
        """:meth:`check` in a worker thread."""
        return await asyncio.to_thread(self.check)

    # -- the client cache ---------------------------------------------------------------

    def cached_client(self, key: Hashable, factory: Callable[[], T]) -> T:
        """The client kept under ``key``; ``factory()`` builds it the first time.

        Thread-safe: concurrent first calls build it once. Factories run under
        the block's (re-entrant) lock, so a factory may itself call
        ``cached_client`` (for a shared session, say). An exception of the
        factory is raised and nothing is kept.
        """
        cache = self._client_cache
        try:
            return cast(T, cache[key])
        except KeyError:
            pass
        with self._client_lock:
            if key in cache:
                return cast(T, cache[key])
            client = factory()
            cache[key] = client
            return client

    def build_client(self, factory: Callable[[], T]) -> T:
        """``factory()`` under the block's lock, not kept: for a client with one-off options."""
        with self._client_lock:
            return factory()

    def clear_client_cache(self) -> None:
        """Forget every cached client (and the other ``_cache_attributes``)."""
        with self._client_lock:
            self._reset_caches(keep_lock=True)

    def _reset_caches(self, *, keep_lock: bool = False) -> None:
        private = self.__pydantic_private__
        if (
            private is None
        ):  # pragma: no cover - pydantic always sets it for models with private attrs
            return
        attributes = type(self).__private_attributes__
        names = ["_client_cache", *type(self)._cache_attributes]
        if not keep_lock:
            names.append("_client_lock")
        for name in names:
            attribute = attributes[name]
            # Not get_default(): its signature changed across pydantic 2.x (floor: 2.7).
            factory = attribute.default_factory
            private[name] = (
                cast("Callable[[], Any]", factory)()
                if factory is not None
                else deepcopy(attribute.default)
            )

    def _private_without_caches(self) -> dict[str, Any]:
        skip = {"_client_cache", "_client_lock", *type(self)._cache_attributes}
        return {k: v for k, v in (self.__pydantic_private__ or {}).items() if k not in skip}

    def __eq__(self, other: object) -> bool:
        # pydantic compares private attributes too; caches (and locks) are not the block's value
        if not isinstance(other, CredentialsBlock):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
            and self._private_without_caches() == other._private_without_caches()
        )

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state["__pydantic_private__"] = self._private_without_caches()
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._reset_caches()

    def __copy__(self) -> CredentialsBlock[ClientT]:
        copy = super().__copy__()
        copy._reset_caches()
        return copy

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> CredentialsBlock[ClientT]:
        # pydantic would deep-copy the private attributes, and a lock cannot be copied:
        # copy the pickled state instead, which leaves the caches out.
        copy = type(self).__new__(type(self))
        copy.__setstate__(deepcopy(self.__getstate__(), memo))
        return copy

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in type(self).model_fields:
            # a client built from the old value would no longer match the block
            self.clear_client_cache()
