"""Persisted results: result records in result storage.

A *result record* is one file: a magic line, a one-line JSON header (which
serializer wrote it, when, until when it is valid, which Headwater, how long
the payload is) and the serialized payload. It is written atomically (temp
file + rename), so a crash never leaves half a record behind, and a damaged
record is reported as :class:`~headwater.errors.ResultNotFound` naming the
file rather than as an unpickling error.

A :class:`ResultStore` pairs a storage (anything with ``read_path(path) ->
bytes`` and ``write_path(path, content)``: :class:`LocalResultStorage` or a
WritableFileSystem block) with a serializer. :meth:`ResultStore.persist`
returns a self-describing *result key* such as
``file:///home/me/.headwater/storage#3f2a...`` that
:func:`read_result_record` can read in any process.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, unquote

from headwater._files import atomic_write, confined_path
from headwater._version import __version__
from headwater.errors import ConfigurationError, HeadwaterError, ResultNotFound
from headwater.serializers import (
    SerializationError,
    Serializer,
    get_serializer,
    serializer_for_type,
)
from headwater.settings import get_settings

__all__ = [
    "LocalResultStorage",
    "ResultMetadata",
    "ResultRecord",
    "ResultStorage",
    "ResultStore",
    "read_result_record",
    "register_storage_scheme",
    "resolve_result_store",
]

_logger = logging.getLogger(__name__)

_MAGIC = b"HEADWATER-RESULT/1\n"
_MAX_HEADER = 64 * 1024


@runtime_checkable
class ResultStorage(Protocol):
    """What result storage must offer: read and write bytes at a relative path."""

    def read_path(self, path: str) -> bytes: ...

    def write_path(self, path: str, content: bytes) -> Any: ...


class LocalResultStorage:
    """Result storage in a local folder; every path is confined to that folder.

    ``basepath`` defaults to ``HEADWATER_LOCAL_STORAGE_PATH``
    (``<HEADWATER_HOME>/storage``). The folder is created on first write.
    """

    def __init__(self, basepath: str | os.PathLike[str] | None = None) -> None:
        base = get_settings().local_storage_path if basepath is None else Path(basepath)
        self.basepath: Path = base.expanduser().resolve()

    @property
    def storage_url(self) -> str:
        """``file://`` URL of the folder, as used in result keys."""
        return "file://" + quote(self.basepath.as_posix())

    def _resolve(self, path: str | os.PathLike[str]) -> Path:
        return confined_path(self.basepath, path, owner="result storage")

    def read_path(self, path: str) -> bytes:
        """The bytes at ``path``; ``FileNotFoundError`` when there is none."""
        return self._resolve(path).read_bytes()

    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` at ``path`` atomically (temp file, fsync, rename); returns the full path."""
        return atomic_write(self._resolve(path), content)

    def exists(self, path: str) -> bool:
        return self._resolve(path).is_file()

    def read_head(self, path: str, size: int) -> bytes:
        """The first ``size`` bytes at ``path`` (to read a record's header cheaply)."""
        with self._resolve(path).open("rb") as fh:
            return fh.read(size)

    def delete_path(self, path: str) -> None:
        self._resolve(path).unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"LocalResultStorage({str(self.basepath)!r})"


@dataclass(frozen=True, slots=True)
class ResultMetadata:
    """The header of a result record."""

    serializer: str
    created: float
    expiration: float | None
    headwater_version: str
    length: int

    def is_expired(self, now: float | None = None) -> bool:
        return (
            self.expiration is not None and (time.time() if now is None else now) >= self.expiration
        )


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """A result record read back: its header and its value."""

    metadata: ResultMetadata
    value: Any


def _expiration_timestamp(expiration: float | _dt.datetime | _dt.timedelta | None) -> float | None:
    if expiration is None:
        return None
    if isinstance(expiration, _dt.timedelta):
        return time.time() + expiration.total_seconds()
    if isinstance(expiration, _dt.datetime):
        if expiration.tzinfo is None:
            expiration = expiration.astimezone()
        return expiration.timestamp()
    if isinstance(expiration, int | float) and not isinstance(expiration, bool):
        value = float(expiration)
        # A number this small cannot be a meaningful POSIX time (it is before 2001):
        # read it as a duration in seconds from now, which is what it surely means.
        return time.time() + value if value < 1e9 else value
    raise ConfigurationError(
        f"expiration must be a POSIX timestamp, a datetime or a timedelta, not {type(expiration).__name__}"
    )


def _encode_record(serializer: Serializer, payload: bytes, expiration: float | None) -> bytes:
    header = {
        "serializer": serializer.type,
        "created": time.time(),
        "expiration": expiration,
        "headwater_version": __version__,
        "length": len(payload),
    }
    return _MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload


def _parse_header(blob: bytes, where: str) -> tuple[ResultMetadata, int]:
    """The header and the offset of the payload; ResultNotFound naming ``where`` if damaged."""
    if not blob.startswith(_MAGIC):
        raise ResultNotFound(
            f"result record {where} is corrupted: it does not start with a result header"
        )
    end = blob.find(b"\n", len(_MAGIC), len(_MAGIC) + _MAX_HEADER)
    if end < 0:
        raise ResultNotFound(f"result record {where} is corrupted: its header is incomplete")
    try:
        raw = json.loads(blob[len(_MAGIC) : end])
        meta = ResultMetadata(
            serializer=str(raw["serializer"]),
            created=float(raw["created"]),
            expiration=None if raw.get("expiration") is None else float(raw["expiration"]),
            headwater_version=str(raw.get("headwater_version", "")),
            length=int(raw["length"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultNotFound(
            f"result record {where} is corrupted: its header is unreadable ({exc})"
        ) from None
    return meta, end + 1


class ResultStore:
    """Reads and writes result records in one storage with one serializer.

    ``storage``: ``None`` (the default local folder), a folder path, or an
    object with ``read_path``/``write_path`` (a WritableFileSystem block).
    ``serializer``: ``None`` (pickle), a serializer name or instance; it is
    used for writing only, since every record names its own serializer.
    """

    def __init__(
        self,
        storage: ResultStorage | str | os.PathLike[str] | None = None,
        serializer: str | Serializer | None = None,
    ) -> None:
        self.storage: Any = _resolve_storage(storage)
        self.serializer: Serializer = get_serializer(serializer)
        self.location: str = _storage_location(self.storage)

    def __repr__(self) -> str:
        return f"ResultStore(storage={self.storage!r}, serializer={self.serializer!r})"

    # -- keys -------------------------------------------------------------------
    def result_key(self, key: str) -> str:
        """The self-describing result key of ``key`` in this store."""
        return f"{self.location}#{key}"

    def _key(self, key: str) -> str:
        prefix = self.location + "#"
        if key.startswith(prefix):
            key = key[len(prefix) :]
        if not key:
            raise ValueError("the result key is empty")
        return key

    def _where(self, key: str) -> str:
        base = getattr(self.storage, "basepath", None)
        if isinstance(base, Path):
            return f"{key!r} ({base / key})"
        return f"{key!r} in {self.location}"

    # -- writing ----------------------------------------------------------------
    def persist(
        self,
        key: str,
        value: Any,
        *,
        expiration: float | _dt.datetime | _dt.timedelta | None = None,
    ) -> str:
        """Write ``value`` as the record ``key``; returns its result key.

        ``expiration``: when the record stops counting as a cache hit: a POSIX
        timestamp, a ``datetime``, or a ``timedelta`` from now (a number below
        1e9 is also read as seconds from now). ``None``: never.
        Raises :class:`~headwater.serializers.SerializationError` naming the
        type when the value cannot be serialized.
        """
        key = self._key(key)
        payload = self.serializer.dumps(value)
        record = _encode_record(self.serializer, payload, _expiration_timestamp(expiration))
        self.storage.write_path(key, record)
        return self.result_key(key)

    # -- reading ----------------------------------------------------------------
    def _read_bytes(self, key: str) -> bytes:
        try:
            blob = self.storage.read_path(key)
        except ValueError:
            raise
        except (FileNotFoundError, KeyError, LookupError) as exc:
            raise ResultNotFound(f"no result record {self._where(key)}") from exc
        except OSError as exc:
            raise ResultNotFound(f"cannot read result record {self._where(key)}: {exc}") from exc
        if not isinstance(blob, bytes | bytearray):
            raise ResultNotFound(f"result record {self._where(key)} is not bytes")
        return bytes(blob)

    def read_record(self, key: str) -> ResultRecord:
        """The record ``key`` (expired or not), or :class:`ResultNotFound` naming it."""
        key = self._key(key)
        blob = self._read_bytes(key)
        where = self._where(key)
        meta, start = _parse_header(blob, where)
        payload = blob[start:]
        if len(payload) != meta.length:
            raise ResultNotFound(
                f"result record {where} is corrupted: payload has {len(payload)} bytes, header says {meta.length}"
            )
        try:
            value = serializer_for_type(meta.serializer).loads(payload)
        except SerializationError as exc:
            raise ResultNotFound(f"result record {where} cannot be read: {exc}") from exc
        return ResultRecord(meta, value)

    def read(self, key: str) -> Any:
        """The value of record ``key`` (ignoring expiration); :class:`ResultNotFound` if missing or damaged."""
        return self.read_record(key).value

    def read_metadata(self, key: str) -> ResultMetadata:
        """The header of record ``key`` without deserializing its value."""
        key = self._key(key)
        head = getattr(self.storage, "read_head", None)
        if head is not None:
            try:
                blob = head(key, len(_MAGIC) + _MAX_HEADER)
            except (FileNotFoundError, LookupError) as exc:
                raise ResultNotFound(f"no result record {self._where(key)}") from exc
            except OSError as exc:
                raise ResultNotFound(
                    f"cannot read result record {self._where(key)}: {exc}"
                ) from exc
        else:
            blob = self._read_bytes(key)
        return _parse_header(blob, self._where(key))[0]

    def exists(self, key: str) -> bool:
        """Whether record ``key`` is there, readable and not expired."""
        try:
            return not self.read_metadata(key).is_expired()
        except ResultNotFound:
            return False

    def try_read(self, key: str) -> ResultRecord | None:
        """The record ``key`` if it is there, readable and not expired, else ``None`` (for cache lookups)."""
        try:
            record = self.read_record(key)
        except ResultNotFound as exc:
            if isinstance(exc.__cause__, SerializationError):
                # A record is there but its value is refused (a type the JSON
                # serializer does not trust, say): say so, then compute again.
                _logger.warning("%s; it is ignored and the result is computed again", exc)
            return None
        return None if record.metadata.is_expired() else record


# -- storage resolution and result keys -------------------------------------------

_lock = threading.Lock()
_by_location: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_schemes: dict[str, Callable[[str], Any]] = {}


def register_storage_scheme(scheme: str, opener: Callable[[str], Any]) -> None:
    """Teach :func:`read_result_record` to open storage named ``<scheme>://...``.

    ``opener`` receives the location (the part of the result key before ``#``)
    and returns a storage object. Storage objects say their location through a
    ``storage_url`` attribute.
    """
    _schemes[scheme] = opener


def _resolve_storage(storage: Any) -> Any:
    if storage is None:
        return LocalResultStorage()
    if isinstance(storage, str | os.PathLike):
        return LocalResultStorage(storage)
    if callable(getattr(storage, "read_path", None)) and callable(
        getattr(storage, "write_path", None)
    ):
        return storage
    raise ConfigurationError(
        "result_storage must be a folder path or an object with read_path() and write_path() "
        f"(a WritableFileSystem block), not {type(storage).__name__}"
    )


def _storage_location(storage: Any) -> str:
    url = getattr(storage, "storage_url", None)
    if isinstance(url, str) and url:
        return url
    # A storage that cannot describe itself is only readable from this process.
    location = f"process://{os.getpid()}/{id(storage):x}"
    with _lock:
        try:
            _by_location[location] = storage
        except TypeError:  # not weak-referenceable: keep it alive
            _strong[location] = storage
    return location


_strong: dict[str, Any] = {}

_default_stores: dict[tuple[str, str], ResultStore] = {}
"""ResultStores for (folder, serializer name): resolving is on the per-task-run path."""


_BLOCK_REF_RE = re.compile(r"^(?:block://)?([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9_-]*)$")

_block_stores: dict[tuple[str, str, str], ResultStore] = {}
"""ResultStores for saved blocks by (database URL, "slug/name", serializer name)."""


def _block_reference(value: str) -> str | None:
    """``"slug/name"`` when ``value`` names a saved block of a known type, else ``None``.

    A string is a block reference when it has that shape, the slug is a block
    type (defined here or installed) and no folder of that name exists; an
    explicit ``block://slug/name`` always is.
    """
    match = _BLOCK_REF_RE.match(value)
    if match is None:
        return None
    ref = f"{match.group(1)}/{match.group(2)}"
    if value.startswith("block://"):
        return ref
    if os.path.isdir(value):
        return None

    # Deferred: importing headwater.blocks (pydantic, every block type) costs more than
    # everything results needs otherwise; only block references pay for it.
    from headwater.blocks.registry import is_block_type

    return ref if is_block_type(match.group(1)) else None


def _load_storage_block(ref: str) -> Any:
    from headwater.blocks import Block  # deferred: import time (see _block_reference)

    block = Block.load(ref)
    if not (
        callable(getattr(block, "read_path", None)) and callable(getattr(block, "write_path", None))
    ):
        raise ConfigurationError(
            f"result storage {ref!r} is a {type(block).__name__} block, which cannot store "
            "results: use a WritableFileSystem block (read_path/write_path)"
        )
    return block


def resolve_result_store(
    result_storage: ResultStorage | str | os.PathLike[str] | None = None,
    result_serializer: str | Serializer | None = None,
) -> ResultStore:
    """The result store for a flow's or task's ``result_storage``/``result_serializer`` options.

    ``result_storage``: ``None`` (``HEADWATER_RESULTS_DEFAULT_STORAGE`` when set, else
    the local storage folder), a folder path, a saved WritableFileSystem block's
    ``"slug/name"``, or a storage object (a WritableFileSystem block).
    Stores for folders and saved blocks are cached (cheap to call for every task run).
    """
    if result_storage is None:
        default = get_settings().results_default_storage
        if default is not None:
            result_storage = default
    cacheable = result_serializer is None or isinstance(result_serializer, str)
    if isinstance(result_storage, str) and "/" in result_storage:
        ref = _block_reference(result_storage)
        if ref is not None:
            ser_name = result_serializer if isinstance(result_serializer, str) else ""
            block_key = (get_settings().database_url, ref, ser_name)
            cached = _block_stores.get(block_key) if cacheable else None
            if cached is not None:
                return cached
            block_store = ResultStore(_load_storage_block(ref), result_serializer)
            if cacheable:
                if len(_block_stores) >= 64:
                    _block_stores.clear()
                _block_stores[block_key] = block_store
            return block_store
    if cacheable and (result_storage is None or isinstance(result_storage, str | os.PathLike)):
        folder = get_settings().local_storage_path if result_storage is None else result_storage
        ser_name = result_serializer if isinstance(result_serializer, str) else ""
        cache_key = (os.fspath(folder), ser_name)
        store = _default_stores.get(cache_key)
        if store is None:
            store = ResultStore(folder, result_serializer)
            if len(_default_stores) >= 64:
                _default_stores.clear()
            _default_stores[cache_key] = store
        return store
    return ResultStore(result_storage, result_serializer)


def _split_result_key(result_key: str) -> tuple[str, str]:
    location, sep, key = result_key.partition("#")
    if not sep or not key or "://" not in location:
        raise ResultNotFound(
            f"{result_key!r} is not a result key (expected '<storage location>#<key>', "
            "e.g. 'file:///path/to/storage#abc123')"
        )
    return location, key


def _open_location(location: str) -> Any:
    scheme = location.split("://", 1)[0]
    if scheme == "file":
        return LocalResultStorage(unquote(location[len("file://") :]))
    if scheme == "block":
        try:
            return _load_storage_block(location[len("block://") :])
        except HeadwaterError as exc:
            raise ResultNotFound(f"result storage {location} cannot be opened: {exc}") from exc
    if scheme == "process":
        storage = _by_location.get(location) or _strong.get(location)
        if storage is None:
            raise ResultNotFound(
                f"result storage {location} belonged to another process and cannot be opened here; "
                "use a folder or a storage block with a storage_url for results read across processes"
            )
        return storage
    opener = _schemes.get(scheme)
    if opener is None:
        raise ResultNotFound(
            f"no result storage is registered for {scheme}:// (result location {location})"
        )
    return opener(location)


def read_result_record(result_key: str) -> Any:
    """The value persisted under ``result_key`` (as returned by :meth:`ResultStore.persist`).

    Works in any process for ``file://`` locations; expiration is ignored
    (a run's own result stays readable). Raises :class:`ResultNotFound`
    naming the key and location.
    """
    location, key = _split_result_key(result_key)
    return ResultStore(_open_location(location)).read(key)
