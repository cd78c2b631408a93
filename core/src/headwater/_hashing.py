"""Stable hashes of Python values, for cache keys.

A cache key must be the same in every process that computes it, so Python's
``hash()`` (salted per process for strings) is useless here. Values are first
encoded as canonical JSON (sorted keys; sets sorted; datetimes, UUIDs and
other common types in a tagged form); what JSON cannot hold falls back to
cloudpickle bytes. The digest is SHA-256 in hex.

Secrets (any object with ``get_secret_value()``: pydantic's ``SecretStr``,
``SecretBytes``, ``Secret``, Headwater's secret block fields) are masked in
the JSON form, so two blocks differing only in a password would encode
alike. They are therefore collected from the values (inside dicts, lists,
tuples, sets, pydantic models, dataclasses and plain objects' attributes),
each with where it was found, and their values (a reference such as
``env://NAME`` is resolved first) go into the digest. A digest with secrets
in it is an HMAC-SHA256 under a per-installation key supplied by the caller,
never a plain hash: a cache key is written beside results, and a plain hash
of a low-entropy password could be brute-forced from it. Values without
secrets keep their plain SHA-256 digest, the same on every host.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import types
from collections.abc import Callable
from typing import Any

import cloudpickle

from headwater.serializers import encode_json_value

__all__ = ["SecretKeyNeededError", "hash_objects"]

_SCALARS = frozenset({str, int, float, bool, type(None), bytes})
_MAX_DEPTH = 64


class SecretKeyNeededError(ValueError):
    """The values hold secrets, but no key to hash them with was given."""


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


def _is_secret(cls: type) -> bool:
    return callable(getattr(cls, "get_secret_value", None))


def _secret_value(secret: Any) -> Any:
    """The secret's value in a hashable plain form; references resolved when possible."""
    try:
        value = secret.get_secret_value()
    except Exception as exc:
        # An unresolvable reference (env://UNSET): hash what is stored, and say so.
        return ["unresolved", type(exc).__name__, _plain(getattr(secret, "_secret_value", None))]
    return ["value", _plain(value)]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    try:
        return encode_json_value(value, canonical=True)
    except (TypeError, ValueError, RecursionError):
        pickled = _pickle_bytes((value,))
        return {"pickle": pickled.hex()} if pickled is not None else {"repr": repr(value)}


def _key_label(key: Any) -> str:
    if isinstance(key, str):
        return json.dumps(key, ensure_ascii=False)
    try:
        return json.dumps(encode_json_value(key, canonical=True), sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return f"<{type(key).__qualname__}>"


def _children(obj: Any) -> list[tuple[str, Any]] | None:
    """``(label, child)`` pairs of a container or object, or ``None`` for a leaf."""
    if isinstance(obj, dict):
        return [(f"[{_key_label(k)}]", v) for k, v in obj.items()]
    if isinstance(obj, list | tuple):
        return [(f"[{i}]", v) for i, v in enumerate(obj)]
    fields = getattr(type(obj), "model_fields", None)
    if isinstance(fields, dict) and not isinstance(obj, type):  # a pydantic model
        pairs = [(f".{name}", getattr(obj, name, None)) for name in fields]
        extra = getattr(obj, "__pydantic_extra__", None) or {}
        return pairs + [(f".{name}", v) for name, v in extra.items()]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f".{f.name}", getattr(obj, f.name, None)) for f in dataclasses.fields(obj)]
    if isinstance(obj, type | types.ModuleType) or callable(obj):
        return None
    pairs = []
    attrs = getattr(obj, "__dict__", None)
    if isinstance(attrs, dict):
        pairs = [(f".{name}", v) for name, v in attrs.items()]
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if isinstance(name, str) and name not in {"__dict__", "__weakref__"}:
                pairs.append((f".{name}", getattr(obj, name, None)))
    return pairs or None


def _collect(obj: Any, path: str, out: list[list[Any]], seen: set[int], depth: int) -> None:
    cls = type(obj)
    if cls in _SCALARS or depth > _MAX_DEPTH:
        return
    if _is_secret(cls):
        out.append([path, _secret_value(obj)])
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, set | frozenset):
        # No stable order: each member's secrets, sorted, under one label.
        for member in obj:
            found: list[list[Any]] = []
            _collect(member, f"{path}{{}}", found, seen, depth + 1)
            out.extend(found)
        return
    children = _children(obj)
    if children is None:
        return
    for label, child in children:
        if type(child) not in _SCALARS:
            _collect(child, path + label, out, seen, depth + 1)


def _secrets_bytes(objs: tuple[Any, ...]) -> bytes | None:
    """The canonical bytes of every secret in ``objs`` with its place, or ``None`` if none."""
    found: list[list[Any]] = []
    _collect(list(objs), "", found, set(), 0)
    if not found:
        return None
    found.sort(key=lambda item: json.dumps(item, sort_keys=True))
    return json.dumps(found, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hash_objects(*objs: Any, secret_key: Callable[[], bytes] | None = None) -> str | None:
    """Hex digest of ``objs``, or ``None`` when they can be neither JSON-encoded nor pickled.

    Without secrets in ``objs``: SHA-256. With secrets: HMAC-SHA256 under
    ``secret_key()`` (called only then) over the values and the secrets;
    :class:`SecretKeyNeededError` when no ``secret_key`` was given.
    """
    data = _json_bytes(objs)
    if data is not None:
        data = b"j:" + data
    else:
        pickled = _pickle_bytes(objs)
        if pickled is None:
            return None
        data = b"p:" + pickled
    secrets = _secrets_bytes(objs)
    if secrets is None:
        return hashlib.sha256(data).hexdigest()
    if secret_key is None:
        raise SecretKeyNeededError(
            "the values hold secrets, which are hashed only with a key (secret_key=...)"
        )
    return hmac.new(secret_key(), data + b"\x1es:" + secrets, hashlib.sha256).hexdigest()
