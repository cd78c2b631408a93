"""Secret masking: every secret value resolved in this process is replaced by ``********``.

A leaf module (it imports nothing from Headwater), so every layer can mask what
it shows: run logs and captured prints (:mod:`headwater.logging`), failure
messages stored on states, error messages of the core and of integrations
(:mod:`headwater.errors` bases), the CLI and the server.

:func:`register_secret` adds a value; :func:`mask_secrets` replaces every
registered value in a text. Values shorter than :data:`MIN_SECRET_LENGTH` are
not registered, so short common strings do not garble every log line.
"""

from __future__ import annotations

import re
import threading

__all__ = ["MASK", "MIN_SECRET_LENGTH", "mask_secrets", "register_secret"]

MASK = "********"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: masking "ab" everywhere would garble every log line."""

_secrets: frozenset[str] = frozenset()
_secret_pattern: re.Pattern[str] | None = None
_secret_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Mask ``value`` as ``********`` in run logs, captured prints and failure messages from now on."""
    global _secrets, _secret_pattern
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH or value in _secrets:
        return
    with _secret_lock:
        secrets = _secrets | {value}
        # Longest first, so a secret containing another is masked whole.
        ordered = sorted(secrets, key=len, reverse=True)
        _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))
        _secrets = secrets


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by ``********`` (free when none are registered)."""
    pattern = _secret_pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def _clear_secrets() -> None:
    """Forget registered secrets (for tests)."""
    global _secrets, _secret_pattern
    with _secret_lock:
        _secrets = frozenset()
        _secret_pattern = None
