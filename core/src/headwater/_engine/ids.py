"""Fast unique ids for runs and states.

``uuid.uuid4()`` costs a system call per id; the engine makes several ids per
task run, so it draws 128 random bits from a private generator seeded from
the OS (re-seeded in forked children) instead. Ids are 32 lowercase hex digits,
the same shape as ``uuid4().hex``.
"""

from __future__ import annotations

import os
import random

__all__ = ["new_id"]

_rng = random.Random(int.from_bytes(os.urandom(32), "big"))


def _reseed() -> None:
    _rng.seed(int.from_bytes(os.urandom(32), "big"))


os.register_at_fork(after_in_child=_reseed)

_bits = _rng.getrandbits


def new_id() -> str:
    """A new random 128-bit id as 32 hex digits."""
    return f"{_bits(128):032x}"
