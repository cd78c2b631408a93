"""Progress bars for long transfers (folder uploads and downloads).

:func:`transfer_progress` shows a rich progress bar on stderr when stderr is a
terminal and ``HEADWATER_PROGRESS`` is true, and costs nothing otherwise. The
folder methods of :class:`~headwater.blocks.ObjectStorageBlock` use it, and so
can integrations that override them::

    with transfer_progress(len(paths), "uploading data/") as advance:
        for path in paths:
            upload(path)
            advance()
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from headwater.settings import get_settings

__all__ = ["progress_enabled", "transfer_progress"]


def progress_enabled(requested: bool | None = None) -> bool:
    """Whether to draw: ``requested`` when given, else stderr is a terminal and
    ``HEADWATER_PROGRESS`` is true."""
    if requested is not None:
        return requested

    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) and get_settings().progress


@contextmanager
def transfer_progress(
    total: int, description: str, *, enabled: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` items; yields ``advance(n=1)``.

    ``enabled=None`` decides with :func:`progress_enabled`. The bar is removed
    when the block ends, successful or not.
    """
    if not progress_enabled(enabled) or total <= 0:

        def _noop(n: int = 1) -> None:
            return None

        yield _noop
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task_id = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task_id, n)

        yield advance
