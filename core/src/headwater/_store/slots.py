"""Tag concurrency limits and the slots held against them.

Taking slots is one write transaction: SQLite's ``BEGIN IMMEDIATE`` makes it
exclusive across processes; on PostgreSQL the limit rows are locked
``FOR UPDATE`` in sorted tag order (so two takers never deadlock). Slots held
by processes that died on this host are reclaimed inside the same transaction.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from headwater._store.database import Database
from headwater._store.processes import HOSTNAME, pid_alive
from headwater._store.records import ConcurrencyLimitRecord
from headwater._store.text import escape_surrogates
from headwater.errors import ConfigurationError, ObjectNotFound

__all__ = [
    "create_limit",
    "delete_limit",
    "read_limits",
    "release_slots",
    "try_acquire_slots",
]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _reclaim_dead(tx: Database, slots: list[Any]) -> set[tuple[str, str]]:
    """Delete slots (tag, holder, pid, host) whose holder died on this host; return them."""
    dead = {
        (tag, holder) for tag, holder, pid, host in slots if host == HOSTNAME and not pid_alive(pid)
    }
    tx.executemany("DELETE FROM concurrency_slots WHERE tag = ? AND holder_id = ?", sorted(dead))
    return dead


def create_limit(db: Database, tag: str, limit: int) -> None:
    if not isinstance(tag, str) or not tag:
        raise ConfigurationError(f"concurrency limit `tag` must be a non-empty string, got {tag!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigurationError(
            f"concurrency limit `limit` for tag {tag!r} must be an integer >= 0, got {limit!r}"
        )
    db.write(
        lambda tx: tx.execute(
            "INSERT INTO concurrency_limits (tag, slot_limit, created) VALUES (?, ?, ?)"
            " ON CONFLICT (tag) DO UPDATE SET slot_limit = excluded.slot_limit",
            (tag, limit, time.time()),
        )
    )


def read_limits(db: Database, tag: str | None = None) -> list[ConcurrencyLimitRecord]:
    """Limits (one, or all by tag) with their live holders; dead holders are reclaimed."""
    where, params = ("WHERE tag = ?", [tag]) if tag is not None else ("", [])
    limits = db.fetchall(
        f"SELECT tag, slot_limit, created FROM concurrency_limits {where} ORDER BY tag", params
    )
    if not limits:
        return []
    slots = db.fetchall(
        f"SELECT tag, holder_id, pid, hostname FROM concurrency_slots {where}"
        " ORDER BY acquired, holder_id",
        params,
    )
    dead: set[tuple[str, str]] = set()
    if any(host == HOSTNAME and not pid_alive(pid) for _, _, pid, host in slots):
        dead = db.write(lambda tx: _reclaim_dead(tx, slots))
    holders: dict[str, list[str]] = {}
    for slot_tag, holder, _, _ in slots:
        if (slot_tag, holder) not in dead:
            holders.setdefault(slot_tag, []).append(holder)
    return [
        ConcurrencyLimitRecord(tag=t, limit=n, created=c, active_slots=holders.get(t, []))
        for t, n, c in limits
    ]


def delete_limit(db: Database, tag: str) -> None:
    def delete(tx: Database) -> int:
        count = int(tx.execute("DELETE FROM concurrency_limits WHERE tag = ?", (tag,)).rowcount)
        tx.execute("DELETE FROM concurrency_slots WHERE tag = ?", (tag,))
        return count

    if db.write(delete) == 0:
        raise ObjectNotFound(f"no concurrency limit for tag {tag!r}")


def try_acquire_slots(db: Database, tags: Sequence[str], holder_id: str) -> bool:
    # A task tag holding a lone surrogate is looked up as it is stored: escaped.
    wanted = sorted({escape_surrogates(tag) for tag in tags})
    if not wanted:
        return True
    marks = _marks(len(wanted))

    def acquire(tx: Database) -> bool:
        limits = tx.execute(
            f"SELECT tag, slot_limit FROM concurrency_limits WHERE tag IN ({marks})"
            f" ORDER BY tag{tx.dialect.for_update}",
            wanted,
        ).fetchall()
        if not limits:
            return True
        limited = [row[0] for row in limits]
        slots = tx.execute(
            f"SELECT tag, holder_id, pid, hostname FROM concurrency_slots"
            f" WHERE tag IN ({_marks(len(limited))})",
            limited,
        ).fetchall()
        dead = _reclaim_dead(tx, slots)
        live = [(tag, holder) for tag, holder, _, _ in slots if (tag, holder) not in dead]
        held = {tag for tag, holder in live if holder == holder_id}
        counts = Counter(tag for tag, _ in live)
        for tag, limit in limits:
            if tag not in held and counts[tag] >= limit:
                return False
        pid, now = os.getpid(), time.time()
        tx.executemany(
            "INSERT INTO concurrency_slots (tag, holder_id, pid, hostname, acquired)"
            " VALUES (?, ?, ?, ?, ?)",
            [(tag, holder_id, pid, HOSTNAME, now) for tag in limited if tag not in held],
        )
        return True

    return db.write(acquire)


def release_slots(db: Database, holder_id: str) -> None:
    db.write(
        lambda tx: tx.execute("DELETE FROM concurrency_slots WHERE holder_id = ?", (holder_id,))
    )
