"""The store: see :mod:`headwater._store.base` for the interface."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import TYPE_CHECKING

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
from headwater.settings import get_settings

if TYPE_CHECKING:
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
    "get_store",
    "reset_store",
]


_lock = threading.Lock()
_store: SqlStore | None = None
_atexit_registered = False


def get_store() -> Store:
    """The process-wide store for the current settings (created on first use).

    SQLite or PostgreSQL from ``HEADWATER_DATABASE_URL``. A new instance is
    made after :func:`reset_store`, when the URL setting changed, and in a
    forked child (checked by pid: the child never touches its parent's
    connections or writer thread).
    """
    store = _store
    if store is not None and store.pid == os.getpid() and store.url == get_settings().database_url:
        return store
    return _open_store()


def _open_store() -> Store:
    global _store, _atexit_registered
    with _lock:
        settings = get_settings()
        store = _store
        if store is not None:
            if store.pid == os.getpid() and store.url == settings.database_url:
                return store
            if store.pid == os.getpid():
                store.close()
            _store = None
        from headwater._store.sql import SqlStore

        new = SqlStore(
            settings.database_url,
            heartbeat_seconds=settings.heartbeat_seconds,
            crash_after_seconds=settings.crash_after_seconds,
        )
        _store = new
        if not _atexit_registered:
            atexit.register(_close_at_exit)
            _atexit_registered = True
        return new


def reset_store() -> None:
    """Close the current store (flushing it) and forget it.

    A store inherited from a parent process is forgotten without closing it.
    """
    global _store
    with _lock:
        store, _store = _store, None
    if store is not None and store.pid == os.getpid():
        store.close()


def _close_at_exit() -> None:
    """Flush and close this process's store when the interpreter exits."""
    try:
        reset_store()
    except Exception as exc:  # an exit hook must not raise; say what was lost
        sys.stderr.write(f"headwater: the store could not be flushed at exit: {exc}\n")


def _forget_in_child() -> None:
    global _store, _lock
    _store = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
