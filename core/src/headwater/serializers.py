"""Serializers: how a persisted result becomes bytes and back.

A :class:`Serializer` has a ``type`` string that is written into every result
record, so a record can be read back in another process without knowing how
it was written. Two ship with the core:

- :class:`PickleSerializer` (``"pickle"``, the default): cloudpickle, so any
  Python object that pickles, including lambdas and local classes.
- :class:`JSONSerializer` (``"json"``): readable records. Values JSON lacks
  (datetimes, UUIDs, decimals, paths, sets, tuples, bytes, pydantic models,
  dataclasses) are written in a tagged form and come back as the same type.
  Reading rebuilds only real namedtuple, Enum, pydantic model and dataclass
  types from trusted modules (:func:`allowed_json_modules`): a record names
  its types, and a planted record must not make the reader call anything else.

Subclasses that set ``type`` register themselves, so records written by a
custom serializer are readable once its module is imported.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import decimal
import enum
import importlib
import json
import pathlib
import pickle
import uuid
import zlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import cloudpickle

from headwater.context import flow_run_ctx, task_run_ctx
from headwater.errors import ConfigurationError, HeadwaterError
from headwater.settings import get_settings

__all__ = [
    "CompressedSerializer",
    "JSONSerializer",
    "PickleSerializer",
    "SerializationError",
    "Serializer",
    "allowed_json_modules",
    "decode_json_value",
    "encode_json_value",
    "get_serializer",
    "serializer_for_type",
]


class SerializationError(HeadwaterError, TypeError):
    """A value could not be turned into bytes, or bytes back into a value."""


_REGISTRY: dict[str, type[Serializer]] = {}


class Serializer(ABC):
    """Turns values into bytes and back. ``type`` names the format in result records."""

    type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        type_name = cls.__dict__.get("type")
        if isinstance(type_name, str):
            _REGISTRY[type_name] = cls

    @abstractmethod
    def dumps(self, obj: Any) -> bytes:
        """The bytes of ``obj``; raises :class:`SerializationError` naming the type it cannot write."""

    @abstractmethod
    def loads(self, data: bytes) -> Any:
        """The value written by :meth:`dumps`; raises :class:`SerializationError` on bad bytes."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PickleSerializer(Serializer):
    """cloudpickle: any picklable Python object, readable only by Python."""

    type = "pickle"

    def dumps(self, obj: Any) -> bytes:
        try:
            data: bytes = cloudpickle.dumps(obj)
            return data
        except Exception as exc:
            raise SerializationError(
                f"cannot pickle a value of type {_type_name(obj)}: {exc}"
            ) from exc

    def loads(self, data: bytes) -> Any:
        try:
            return pickle.loads(data)
        except Exception as exc:
            raise SerializationError(f"cannot unpickle the data: {exc}") from exc


# -- JSON ------------------------------------------------------------------------------

_TAG = "__hw__"


def _type_name(obj: Any) -> str:
    cls = type(obj)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_KIND_NAMES = {
    "namedtuple": "namedtuple",
    "enum": "Enum",
    "pydantic": "pydantic BaseModel",
    "dataclass": "dataclass",
}


def allowed_json_modules() -> tuple[str, ...]:
    """The modules whose types :class:`JSONSerializer` may rebuild, here and now.

    ``__main__``, the modules of the running flow's and task's functions (when
    there is a run), and ``HEADWATER_RESULTS_JSON_ALLOWED_MODULES``. Each entry
    allows its submodules too.
    """
    allowed = ["__main__"]
    for ctx_var, attr in ((flow_run_ctx, "flow"), (task_run_ctx, "task")):
        ctx = ctx_var.get()
        fn = getattr(getattr(ctx, attr, None), "fn", None)
        module = getattr(fn, "__module__", None)
        if isinstance(module, str) and module not in allowed:
            allowed.append(module)
    allowed.extend(m for m in get_settings().results_json_allowed_modules if m not in allowed)
    return tuple(allowed)


def _module_allowed(module_name: str, allowed: tuple[str, ...]) -> bool:
    return any(module_name == m or module_name.startswith(m + ".") for m in allowed)


def _is_kind(cls: type, kind: str) -> bool:
    if kind == "namedtuple":
        return issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)
    if kind == "enum":
        return issubclass(cls, enum.Enum)
    if kind == "pydantic":
        import pydantic  # deferred: only JSON records of models need it

        return issubclass(cls, pydantic.BaseModel)
    return dataclasses.is_dataclass(cls)


def _allowed_class(path: object, kind: str) -> type:
    """The class ``path`` (``module:qualname``) names, if it is a real ``kind`` type
    defined in an allowed module; :class:`SerializationError` naming it otherwise.

    Nothing is imported before the module is checked, and nothing is called: a
    record planted in result storage cannot make the reader run code outside
    the types the user trusts.
    """
    kind_name = _KIND_NAMES[kind]
    if not isinstance(path, str) or ":" not in path:
        raise SerializationError(f"the JSON data names a {kind_name} type as {path!r}")
    module_name, _, qualname = path.partition(":")
    allowed = allowed_json_modules()
    if not _module_allowed(module_name, allowed):
        raise SerializationError(
            f"refusing to rebuild type {path!r} named in the JSON data: module {module_name!r} "
            f"is not allowed (allowed: {', '.join(allowed)}); add it to "
            "HEADWATER_RESULTS_JSON_ALLOWED_MODULES if you trust its types"
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise SerializationError(
            f"cannot import class {path!r} named in the JSON data: {exc}"
        ) from exc
    if (
        not isinstance(obj, type)
        or obj.__module__ != module_name
        or obj.__qualname__ != qualname
        or not _is_kind(obj, kind)
    ):
        raise SerializationError(
            f"refusing to rebuild {path!r} named in the JSON data: it is not a {kind_name} "
            f"class defined in {module_name!r}"
        )
    return obj


def _sort_key(encoded: Any) -> str:
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def encode_json_value(obj: Any, *, canonical: bool = False) -> Any:
    """``obj`` as plain JSON data, with non-JSON types in a reversible tagged form.

    Deterministic: set members are sorted by their encoding. With
    ``canonical=True`` (for hashing) dicts with non-string keys are sorted
    too, so equal values encode equally in every process whatever the order
    they were built in; dump the result with ``sort_keys=True``.
    """
    return _encode(obj, canonical)


def _encode(obj: Any, canonical: bool) -> Any:
    # Fast paths first: cache keys hash the inputs of every cached task run.
    cls = type(obj)
    if cls in _SCALARS:
        return obj
    if cls is dict:
        if _TAG not in obj and all(type(k) is str for k in obj):
            return {k: v if type(v) in _SCALARS else _encode(v, canonical) for k, v in obj.items()}
    elif cls is list:
        return [v if type(v) in _SCALARS else _encode(v, canonical) for v in obj]
    return _encode_other(obj, cls, canonical)


def _encode_other(obj: Any, cls: type, canonical: bool) -> Any:
    if isinstance(obj, enum.Enum):
        return {
            _TAG: "enum",
            "class": _class_path(cls),
            "value": _encode(obj.value, canonical),
        }
    if isinstance(obj, str | int | float):  # other subclasses of JSON scalars: keep the plain value
        return (
            str(obj) if isinstance(obj, str) else int(obj) if isinstance(obj, int) else float(obj)
        )
    if isinstance(obj, list):
        return [_encode(v, canonical) for v in obj]
    if isinstance(obj, dict):
        if all(type(k) is str for k in obj) and _TAG not in obj:
            return {k: _encode(v, canonical) for k, v in obj.items()}
        pairs = [[_encode(k, canonical), _encode(v, canonical)] for k, v in obj.items()]
        if canonical:
            pairs.sort(key=lambda pair: _sort_key(pair[0]))
        return {_TAG: "dict", "items": pairs}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        items = [_encode(v, canonical) for v in obj]
        return {_TAG: "namedtuple", "class": _class_path(cls), "items": items}
    if isinstance(obj, tuple):
        return {_TAG: "tuple", "items": [_encode(v, canonical) for v in obj]}
    if isinstance(obj, set | frozenset):
        items = sorted((_encode(v, canonical) for v in obj), key=_sort_key)
        return {_TAG: "frozenset" if isinstance(obj, frozenset) else "set", "items": items}
    if isinstance(obj, _dt.datetime):
        return {_TAG: "datetime", "value": obj.isoformat()}
    if isinstance(obj, _dt.date):
        return {_TAG: "date", "value": obj.isoformat()}
    if isinstance(obj, _dt.time):
        return {_TAG: "time", "value": obj.isoformat()}
    if isinstance(obj, _dt.timedelta):
        return {_TAG: "timedelta", "value": [obj.days, obj.seconds, obj.microseconds]}
    if isinstance(obj, uuid.UUID):
        return {_TAG: "uuid", "value": str(obj)}
    if isinstance(obj, decimal.Decimal):
        return {_TAG: "decimal", "value": str(obj)}
    if isinstance(obj, pathlib.PurePath):
        return {_TAG: "path", "value": str(obj)}
    if isinstance(obj, bytes | bytearray):
        kind = "bytes" if isinstance(obj, bytes) else "bytearray"
        return {_TAG: kind, "value": base64.b64encode(bytes(obj)).decode("ascii")}
    model_dump = getattr(obj, "model_dump", None)
    if model_dump is not None and hasattr(type(obj), "model_validate"):
        return {_TAG: "pydantic", "class": _class_path(type(obj)), "value": model_dump(mode="json")}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        values = {f.name: _encode(getattr(obj, f.name), canonical) for f in dataclasses.fields(obj)}
        return {_TAG: "dataclass", "class": _class_path(type(obj)), "value": values}
    raise SerializationError(
        f"JSONSerializer cannot encode a value of type {_type_name(obj)}; "
        "use the pickle serializer (result_serializer='pickle') for it"
    )


def decode_json_value(data: Any) -> Any:
    """The inverse of :func:`encode_json_value`."""
    if isinstance(data, list):
        return [decode_json_value(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(_TAG)
    if tag is None:
        return {k: decode_json_value(v) for k, v in data.items()}
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise SerializationError(f"unknown tagged JSON type {tag!r}")
    try:
        return decoder(data)
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"cannot decode tagged JSON value of type {tag!r}: {exc}") from exc


def _decode_dataclass(data: dict[str, Any]) -> Any:
    cls = _allowed_class(data["class"], "dataclass")
    values = {k: decode_json_value(v) for k, v in data["value"].items()}
    fields = dataclasses.fields(cls)
    init_names = {f.name for f in fields if f.init}
    other_names = {f.name for f in fields if not f.init}
    obj = cls(**{k: v for k, v in values.items() if k in init_names})
    for name, value in values.items():
        if name in other_names:  # only declared fields: a record sets no other attribute
            object.__setattr__(obj, name, value)
    return obj


_DECODERS: dict[str, Any] = {
    "dict": lambda d: {decode_json_value(k): decode_json_value(v) for k, v in d["items"]},
    "namedtuple": lambda d: _allowed_class(d["class"], "namedtuple")(
        *(decode_json_value(v) for v in d["items"])
    ),
    "tuple": lambda d: tuple(decode_json_value(v) for v in d["items"]),
    "set": lambda d: {decode_json_value(v) for v in d["items"]},
    "frozenset": lambda d: frozenset(decode_json_value(v) for v in d["items"]),
    "datetime": lambda d: _dt.datetime.fromisoformat(d["value"]),
    "date": lambda d: _dt.date.fromisoformat(d["value"]),
    "time": lambda d: _dt.time.fromisoformat(d["value"]),
    "timedelta": lambda d: _dt.timedelta(
        days=d["value"][0], seconds=d["value"][1], microseconds=d["value"][2]
    ),
    "uuid": lambda d: uuid.UUID(d["value"]),
    "decimal": lambda d: decimal.Decimal(d["value"]),
    "path": lambda d: pathlib.Path(d["value"]),
    "enum": lambda d: _allowed_class(d["class"], "enum")(decode_json_value(d["value"])),
    "bytes": lambda d: base64.b64decode(d["value"]),
    "bytearray": lambda d: bytearray(base64.b64decode(d["value"])),
    "pydantic": lambda d: _allowed_class(d["class"], "pydantic").model_validate(  # type: ignore[attr-defined]
        d["value"]
    ),
    "dataclass": _decode_dataclass,
}


class JSONSerializer(Serializer):
    """JSON: readable records; common non-JSON types come back as themselves."""

    type = "json"

    def dumps(self, obj: Any) -> bytes:
        encoded = encode_json_value(obj)
        try:
            return json.dumps(encoded, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:  # pragma: no cover - encode_json_value vets types
            raise SerializationError(
                f"JSONSerializer cannot encode a value of type {_type_name(obj)}: {exc}"
            ) from exc

    def loads(self, data: bytes) -> Any:
        try:
            raw = json.loads(data)
        except (UnicodeDecodeError, ValueError) as exc:
            raise SerializationError(f"the data is not valid JSON: {exc}") from exc
        return decode_json_value(raw)


class CompressedSerializer(Serializer):
    """Another serializer's bytes, zlib-compressed; type ``"compressed/<inner type>"``.

    ``result_serializer="compressed/pickle"`` or ``"compressed/json"`` as in Prefect.
    """

    def __init__(self, serializer: str | Serializer | None = None, *, level: int = 6) -> None:
        self.inner = get_serializer(serializer)
        self.level = level

    @property
    def type(self) -> str:  # type: ignore[override]
        return f"compressed/{self.inner.type}"

    def dumps(self, obj: Any) -> bytes:
        return zlib.compress(self.inner.dumps(obj), self.level)

    def loads(self, data: bytes) -> Any:
        try:
            raw = zlib.decompress(data)
        except zlib.error as exc:
            raise SerializationError(f"the data is not zlib-compressed: {exc}") from exc
        return self.inner.loads(raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompressedSerializer) and other.inner == self.inner

    def __hash__(self) -> int:
        return hash((CompressedSerializer, self.inner))

    def __repr__(self) -> str:
        return f"CompressedSerializer({self.inner!r})"


_ALIASES = {"cloudpickle": "pickle"}
_COMPRESSED = "compressed/"


def _known() -> str:
    return ", ".join([*sorted(_REGISTRY), *(f"{_COMPRESSED}{name}" for name in sorted(_REGISTRY))])


def serializer_for_type(type_name: str) -> Serializer:
    """A serializer instance for a ``type`` read from a result record."""
    if type_name.startswith(_COMPRESSED):
        return CompressedSerializer(serializer_for_type(type_name[len(_COMPRESSED) :]))
    cls = _REGISTRY.get(_ALIASES.get(type_name, type_name))
    if cls is None:
        raise SerializationError(
            f"no serializer of type {type_name!r} is registered; known: {_known()}"
        )
    return cls()


def get_serializer(spec: str | Serializer | None) -> Serializer:
    """The serializer for a ``result_serializer`` option.

    ``None`` means pickle; a string names a registered type (``"pickle"``,
    ``"json"``); a :class:`Serializer` instance is used as is.
    """
    if spec is None:
        return _DEFAULT
    if isinstance(spec, Serializer):
        return spec
    if isinstance(spec, str):
        name = _ALIASES.get(spec.strip().lower(), spec.strip().lower())
        if name.startswith(_COMPRESSED):
            return CompressedSerializer(get_serializer(name[len(_COMPRESSED) :]))
        cls = _REGISTRY.get(name)
        if cls is None:
            raise ConfigurationError(
                f"result_serializer={spec!r} is not a known serializer; known: {_known()}"
            )
        return _DEFAULT if cls is PickleSerializer else cls()
    raise ConfigurationError(
        f"result_serializer must be a serializer name or a Serializer instance, not {_type_name(spec)}"
    )


_DEFAULT = PickleSerializer()
