"""Heartbeats: running flow runs tell the store they are alive.

The store marks a Running flow run Crashed when its process is gone (same
host, dead pid) or when it has been silent for ``crash_after_seconds``. One
daemon thread per process sends a heartbeat for every running flow run each
``heartbeat_seconds``; it runs only while some flow run is running.
"""

from __future__ import annotations

import threading

from headwater._store import get_store
from headwater.settings import get_settings

__all__ = ["register", "unregister"]

_lock = threading.Lock()
_running: set[str] = set()
_wake = threading.Event()
_thread: threading.Thread | None = None


def _loop() -> None:
    while True:
        interval = get_settings().heartbeat_seconds
        _wake.wait(interval)
        _wake.clear()
        with _lock:
            ids = sorted(_running)
        if not ids:
            continue
        try:
            get_store().heartbeat(ids)
        except Exception:  # a missed heartbeat is retried on the next tick
            pass


def register(flow_run_id: str) -> None:
    """Start sending heartbeats for ``flow_run_id``."""
    global _thread
    with _lock:
        _running.add(flow_run_id)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="headwater-heartbeat", daemon=True)
            _thread.start()


def unregister(flow_run_id: str) -> None:
    """Stop sending heartbeats for ``flow_run_id``."""
    with _lock:
        _running.discard(flow_run_id)
