"""Tag-based concurrency limits for task runs, enforced across processes.

A limit (``headwater concurrency-limit create TAG N``) caps how many task runs
carrying ``TAG`` run at once anywhere that shares the store. The task engine
calls :func:`acquire_slots` before running a tagged task (it waits, in the
Pending state, until every limited tag has a free slot) and
:func:`release_slots` when the run ends. Tasks without tags never touch the
store for this.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater._store.base import Store

__all__ = ["acquire_slots", "acquire_slots_async", "release_slots"]

_FIRST_DELAY = 0.01
_MAX_DELAY = 0.5


def acquire_slots(
    store: Store,
    tags: Collection[str],
    holder_id: str,
    *,
    timeout: float | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> bool:
    """Take one slot on every limited tag in ``tags`` for ``holder_id``, waiting as needed.

    Polls the store with a growing, jittered delay (10 ms up to 0.5 s).
    Returns ``True`` once granted, ``False`` if ``timeout`` seconds passed first.
    With no tags it returns ``True`` without asking the store.
    """
    if not tags:
        return True
    ordered = sorted(tags)
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = _FIRST_DELAY
    while not store.try_acquire_concurrency_slots(ordered, holder_id):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, _MAX_DELAY)
    return True


async def acquire_slots_async(
    store: Store, tags: Collection[str], holder_id: str, *, timeout: float | None = None
) -> bool:
    """:func:`acquire_slots` for async tasks: waits without blocking the event loop."""
    import asyncio

    if not tags:
        return True
    ordered = sorted(tags)
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = _FIRST_DELAY
    while not store.try_acquire_concurrency_slots(ordered, holder_id):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, _MAX_DELAY)
    return True


def release_slots(store: Store, tags: Collection[str], holder_id: str) -> None:
    """Give back the slots ``holder_id`` holds (nothing to do for an untagged run)."""
    if tags:
        store.release_concurrency_slots(holder_id)
