"""Running many file transfers at once, and writing one downloaded file safely.

:func:`run_transfers` runs named jobs on a bounded thread pool with a progress
bar. The first failure cancels every job that has not started, waits for the
running ones, and is raised with notes naming the file or object it concerned,
any other job that failed meanwhile, and how many were cancelled: nothing is
lost silently.

:func:`download_target` prepares the parent folders of a downloaded file and
removes those it created when the download fails.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

from headwater.blocks.progress import transfer_progress

__all__ = ["download_target", "run_transfers"]


def run_transfers(
    jobs: Sequence[tuple[str, Callable[[], object]]],
    *,
    max_concurrency: int,
    description: str,
    progress: bool | None = None,
) -> None:
    """Run ``jobs`` (``(name, call)`` pairs), at most ``max_concurrency`` at a time.

    The first failure cancels the jobs not yet started, waits for those running
    and is raised, with a note naming its job (and notes on the other failures
    and the cancelled jobs). Cancellation does not depend on how fast this
    thread wakes up: a job checks, in its worker thread, whether another has
    failed before it starts.
    """
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1 (got {max_concurrency})")
    if not jobs:
        return
    stop = threading.Event()
    first: list[int] = []  # index of the first job that failed
    lock = threading.Lock()

    def guarded(index: int, call: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            if stop.is_set():
                raise _NotStarted
            try:
                return call()
            except BaseException:
                with lock:
                    if not first:
                        first.append(index)
                stop.set()
                raise

        return run

    with transfer_progress(len(jobs), description, enabled=progress) as advance:
        workers = min(max_concurrency, len(jobs))
        with ThreadPoolExecutor(workers, thread_name_prefix="headwater-transfer") as pool:
            futures = [pool.submit(guarded(i, call)) for i, (_, call) in enumerate(jobs)]
            pending: set[Future[object]] = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                advance(sum(1 for f in done if f.exception() is None))
                if stop.is_set():
                    cancelled = sum(1 for f in pending if f.cancel())
                    wait(pending)  # the running ones finish before we raise
                    _raise_first(jobs, futures, first[0], cancelled)


class _NotStarted(Exception):
    """A job that saw another fail before it started (counted as cancelled)."""


def _raise_first(
    jobs: Sequence[tuple[str, Callable[[], object]]],
    futures: list[Future[object]],
    first: int,
    cancelled: int,
) -> None:
    error = futures[first].exception()
    assert error is not None
    error.add_note(f"while transferring {jobs[first][0]}")
    for index, future in enumerate(futures):
        if index == first or future.cancelled():
            continue
        other = future.exception()
        if isinstance(other, _NotStarted):
            cancelled += 1
        elif other is not None:
            error.add_note(f"{jobs[index][0]} failed too: {type(other).__name__}: {other}")
    if cancelled:
        error.add_note(f"{cancelled} transfer(s) not started were cancelled")
    raise error


@contextmanager
def download_target(to_path: str | os.PathLike[str]) -> Iterator[Path]:
    """The file ``to_path`` with its parent folders created; on failure, the folders
    created here are removed again (deepest first, only while empty)."""
    target = Path(to_path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give the path of a file")
    created: list[Path] = []
    parent = target.parent
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield target
    except BaseException:
        for folder in created:
            try:
                folder.rmdir()
            except OSError:
                break
        raise
