"""Is the process that claimed a run (or a concurrency slot) still there?"""

from __future__ import annotations

import os
import socket

__all__ = ["HOSTNAME", "pid_alive"]

HOSTNAME = socket.gethostname()


def pid_alive(pid: int | None) -> bool:
    """True unless ``pid`` certainly names no live process on this host.

    A zombie (exited, not yet reaped by its parent) counts as dead: it will
    never finish its run.
    """
    if pid is None or pid <= 0:
        return True  # unknown: never declare a run dead on no evidence
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return True  # no /proc (macOS) or it vanished between the two checks
    # The state letter follows the ")" that closes the command name.
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")
