"""Recording which thread ran a block method, for the async-twin checks of the suites."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["record_threads"]


@contextmanager
def record_threads(block: object, name: str) -> Iterator[list[int]]:
    """Wrap ``block.<name>`` (on this instance only) so each call appends the id of the
    thread it ran on to the yielded list; the real method still does the work."""
    original: Callable[..., Any] = getattr(block, name)
    threads: list[int] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    object.__setattr__(block, name, recording)
    try:
        yield threads
    finally:
        vars(block).pop(name, None)
