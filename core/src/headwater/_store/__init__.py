"""The store: see :mod:`headwater._store.base` for the interface."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from headwater._store.base import Store
from headwater._store.records import (
    ArtifactRecord,
    BlockDocumentRecord,
    ConcurrencyLimitRecord,
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    RunKind,
    StateRecord,
    TaskRunRecord,
    VariableRecord,
)
from headwater.settings import Settings, get_settings

if TYPE_CHECKING:
    # Deferred: import time; only the store in use is loaded (the HTTP one needs httpx).
    from headwater._store.sql import SqlStore

__all__ = [
    "ArtifactRecord",
    "BlockDocumentRecord",
    "ConcurrencyLimitRecord",
    "FlowRecord",
    "FlowRunRecord",
    "LogRecord",
    "RunKind",
    "StateRecord",
    "Store",
    "TaskRunRecord",
    "VariableRecord",
    "get_embedded_store",
    "get_store",
    "reset_store",
]


_lock = threading.Lock()
_store: Store | None = None
"""What :func:`get_store` returns: the embedded store, or the HTTP store when ``api_url`` is set."""
_embedded: SqlStore | None = None
"""What :func:`get_embedded_store` returns (also ``_store`` when no ``api_url`` is set)."""
_atexit_registered = False


def _current(store: Any, settings: Settings) -> bool:
    """Is ``store`` (opened by this process) still the one the settings ask for?"""
    if store is None or store.pid != os.getpid():
        return False
    if settings.api_url is not None:
        return bool(store.url == settings.api_url and store.api_key == settings.api_key)
    return bool(store.url == settings.database_url and not getattr(store, "is_http", False))


def get_store() -> Store:
    """The process-wide store for the current settings (created on first use).

    With ``HEADWATER_API_URL`` set, an :class:`~headwater._store.http.HttpStore`
    talking to that server (sending ``HEADWATER_API_KEY``); otherwise the
    embedded store on ``HEADWATER_DATABASE_URL`` (SQLite or PostgreSQL), the same
    object :func:`get_embedded_store` returns. A new instance is made after
    :func:`reset_store`, when the settings it depends on changed, and in a
    forked child (checked by pid: the child never touches its parent's
    connections or writer thread).
    """
    store = _store
    if store is not None and _current(store, get_settings()):
        return store
    return _open_store()


def get_embedded_store() -> SqlStore:
    """The process-wide embedded store on ``HEADWATER_DATABASE_URL``, whatever ``api_url`` says.

    What the server uses: it must never talk HTTP to itself.
    """
    store = _embedded
    if store is not None and store.pid == os.getpid() and store.url == get_settings().database_url:
        return store
    with _lock:
        return _open_embedded(get_settings())


def _open_embedded(settings: Settings) -> SqlStore:
    """The embedded store for ``settings`` (call with ``_lock`` held)."""
    global _embedded, _store
    store = _embedded
    if store is not None:
        if store.pid == os.getpid() and store.url == settings.database_url:
            return store
        if store.pid == os.getpid():
            store.close()
        if _store is store:
            _store = None
        _embedded = None
    # Deferred: import time; only the store in use is loaded (the HTTP one needs httpx).
    from headwater._store.sql import SqlStore

    new = SqlStore(
        settings.database_url,
        heartbeat_seconds=settings.heartbeat_seconds,
        crash_after_seconds=settings.crash_after_seconds,
    )
    _embedded = new
    _register_atexit()
    return new


def _open_store() -> Store:
    global _store
    with _lock:
        settings = get_settings()
        store = _store
        if store is not None and _current(store, settings):
            return store
        if (
            store is not None
            and store is not _embedded
            and getattr(store, "pid", None) == os.getpid()
        ):
            store.close()
        _store = None
        new: Store
        if settings.api_url is not None:
            # Deferred: import time; httpx loads only when a server URL is set.
            from headwater._store.http import HttpStore

            new = HttpStore(
                settings.api_url,
                api_key=settings.api_key,
                heartbeat_seconds=settings.heartbeat_seconds,
            )
        else:
            new = _open_embedded(settings)
        _store = new
        _register_atexit()
        return new


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_close_at_exit)
        _atexit_registered = True


def reset_store() -> None:
    """Close the current stores (flushing them) and forget them.

    A store inherited from a parent process is forgotten without closing it.
    """
    global _store, _embedded
    with _lock:
        stores = [s for s in dict.fromkeys([_store, _embedded]) if s is not None]
        _store = _embedded = None
    errors: list[BaseException] = []
    for store in stores:
        if store.pid == os.getpid():  # type: ignore[attr-defined]
            try:
                store.close()
            except Exception as exc:  # close the others, then report
                errors.append(exc)
    if errors:
        raise errors[0]


def _close_at_exit() -> None:
    """Flush and close this process's store when the interpreter exits."""
    try:
        reset_store()
    except Exception as exc:  # an exit hook must not raise; say what was lost
        sys.stderr.write(f"headwater: the store could not be flushed at exit: {exc}\n")


def _forget_in_child() -> None:
    global _store, _embedded, _lock
    _store = _embedded = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
