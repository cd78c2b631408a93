"""Stable hashes of Python values, for cache keys.

A cache key must be the same in every process that computes it, so Python's
``hash()`` (salted per process for strings) is useless here. Values are first
encoded as canonical JSON (sorted keys; sets sorted; datetimes, UUIDs and
other common types in a tagged form); what JSON cannot hold falls back to
cloudpickle bytes. The digest is SHA-256 in hex.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import cloudpickle

from headwater.serializers import encode_json_value

__all__ = ["hash_objects"]

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _json_bytes(objs: tuple[Any, ...]) -> bytes | None:
    try:
        encoded = encode_json_value(list(objs), canonical=True)
        return json.dumps(
            encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (TypeError, ValueError, RecursionError):
        return None


def _pickle_bytes(objs: tuple[Any, ...]) -> bytes | None:
    try:
        data: bytes = cloudpickle.dumps(objs)
        return data
    except Exception:
        return None


def hash_objects(*objs: Any) -> str | None:
    """SHA-256 hex digest of ``objs``, or ``None`` when they can be neither JSON-encoded nor pickled."""
    data = _json_bytes(objs)
    if data is None:
        data = _pickle_bytes(objs)
        if data is None:
            return None
        return hashlib.sha256(b"p:" + data).hexdigest()
    return hashlib.sha256(b"j:" + data).hexdigest()
