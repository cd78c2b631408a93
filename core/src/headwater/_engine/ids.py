"""Fast unique ids for runs and states.

``uuid.uuid4()`` costs a system call per id; the engine makes several ids per
task run, so it draws random bits from a private generator seeded from the OS
(re-seeded in forked children) instead. Ids are 32 lowercase hex digits, the
same shape as ``uuid4().hex``, and time-ordered like UUIDv7: 48 bits of
milliseconds since the epoch, then 80 random bits. New rows then land at the
end of the store's indexes instead of at random places, which makes batched
inserts markedly cheaper on SQLite and PostgreSQL alike.

Flow run ids are the exception: people read them in short form and paste back
a prefix (``headwater flow-run inspect 3f2a9c``), and time-ordered ids made in
the same minute share their first eight digits. A flow run gets
:func:`new_random_id`, whose every digit is random; there is one per flow run,
so index locality does not matter there.
"""

from __future__ import annotations

import os
import random
import time

__all__ = ["new_id", "new_random_id"]

_rng = random.Random(int.from_bytes(os.urandom(32), "big"))


def _reseed() -> None:
    _rng.seed(int.from_bytes(os.urandom(32), "big"))


os.register_at_fork(after_in_child=_reseed)

_bits = _rng.getrandbits


_time_ns = time.time_ns


def new_id() -> str:
    """A new time-ordered 128-bit id as 32 hex digits (ms timestamp + 80 random bits)."""
    # One int, hexed through bytes: about twice as fast as formatting two fields.
    return (_time_ns() // 1_000_000 << 80 | _bits(80)).to_bytes(16, "big").hex()


def new_random_id() -> str:
    """A new fully random 128-bit id as 32 hex digits (for flow runs: unique short prefixes)."""
    return _bits(128).to_bytes(16, "big").hex()
